package io.bootswarm.common.wire;

import java.io.IOException;

/** The other side broke the peer wire protocol; the connection must be closed. */
public final class WireProtocolException extends IOException {
    public WireProtocolException(String message) {
        super(message);
    }
}
