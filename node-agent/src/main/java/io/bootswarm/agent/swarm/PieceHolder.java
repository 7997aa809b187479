package io.bootswarm.agent.swarm;

/** A swarm this host serves, told when a piece of its image arrives in the host's store (by any swarm). */
interface PieceHolder {

    /** Marks {@code piece} available; true if it was not before (then peers are told with {@code have}). */
    boolean pieceArrived(int piece);
}
