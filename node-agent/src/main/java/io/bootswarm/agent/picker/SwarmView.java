package io.bootswarm.agent.picker;

/** What a {@link PiecePicker} may know about one host's place in a swarm. */
public interface SwarmView {

    int pieceCount();

    /** True when the host has the piece, or never needs to fetch it (all zeros). */
    boolean have(int piece);

    /** True while the piece is being fetched. */
    boolean inFlight(int piece);

    /** How many other peers (not seeds) are known to hold the piece. */
    int holders(int piece);
}
