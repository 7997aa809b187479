package io.bootswarm.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/** Socket checks the wire-level tests share. */
public final class Sockets {

    private Sockets() {}

    /**
     * True if the other side closed {@code socket} (EOF or reset) within {@code timeout}, draining what it sent
     * before the close from {@code in}; false if it was still open when the timeout ran out.
     */
    public static boolean closedByOtherSide(Socket socket, InputStream in, Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            while (in.read() >= 0) {
                // drain what was sent before the close
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
