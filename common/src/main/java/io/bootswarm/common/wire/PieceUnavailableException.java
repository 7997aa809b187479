package io.bootswarm.common.wire;

import java.io.IOException;

/**
 * A piece is not (or no longer) held where it was asked for: the serving side's cache evicted it, or the
 * peer rejected the request (BEP 6) or withdrew the piece (BEP 54 {@code lt_donthave}). Not a fault of the
 * peer: the asker turns to another source, and neither counts a failed attempt nor bans anyone.
 */
public class PieceUnavailableException extends IOException {

    public PieceUnavailableException(String message) {
        super(message);
    }
}
