package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.PieceSet;

import java.io.IOException;
import java.util.Set;

/** One swarm as a {@link PeerWireServer} serves it: which pieces it has and how to read them. */
public interface ServedSwarm {

    int pieceCount();

    int pieceLength(int piece);

    /**
     * The pieces this side has verified and can serve; may grow over time. Called for every
     * request a peer sends, so return a live, shared set rather than building one per call.
     */
    PieceSet available();

    /**
     * Reads {@code length} bytes of {@code piece} from offset {@code begin} into {@code dst[0, length)}.
     *
     * @throws PieceUnavailableException if the piece went (evicted) since {@link #available()} said it was here;
     *                                   the request is then rejected and the connection stays open
     */
    void readBlock(int piece, int begin, byte[] dst, int length) throws IOException;

    /**
     * The rate limiter a block of {@code piece} passes before it is sent, on top of the server's
     * own upload limiter (the seed shapes its upload per piece group with it); taken first, with
     * the connection's urgency, so a block waiting here holds none of the shared upload. Called for
     * every block: return a limiter kept per piece or group, not a new one.
     */
    default RateLimiter limiterFor(int piece) {
        return RateLimiter.UNLIMITED;
    }

    /** Told after each block is sent, for upload accounting. */
    default void uploaded(int bytes) {
    }

    /**
     * The pieces this side is fetching now (a snapshot): told to a peer that asks for {@link Fetching bs_fetching}
     * when it connects; changes afterwards go through {@link PeerWireServer#fetching}. None by default (a seed).
     */
    default Set<Integer> fetching() {
        return Set.of();
    }
}
