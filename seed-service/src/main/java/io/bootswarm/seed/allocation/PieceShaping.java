package io.bootswarm.seed.allocation;

import io.bootswarm.common.wire.RateLimiter;

/**
 * How the upload of one served image is shaped: the limiter of each piece's swarm (its piece group,
 * or the image) under the applied split, and the account its bytes are charged to.
 */
public interface PieceShaping {

    /** No shaping: every piece unlimited (beyond the seed's overall limit), nothing counted. */
    PieceShaping NONE = new PieceShaping() {
        @Override
        public RateLimiter limiterFor(int piece) {
            return RateLimiter.UNLIMITED;
        }

        @Override
        public void served(int piece, int bytes) {
        }
    };

    /** The limiter a block of {@code piece} passes before the seed's overall one. */
    RateLimiter limiterFor(int piece);

    /** Told after {@code bytes} of {@code piece} were read for a peer. */
    void served(int piece, int bytes);
}
