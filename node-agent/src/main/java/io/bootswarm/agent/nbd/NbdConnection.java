package io.bootswarm.agent.nbd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Instant;

/**
 * One client connection, from accept to close: the {@link NbdHandshake} ("Fixed newstyle
 * negotiation", "Option haggling", STARTTLS of "TLS support"), then the {@link NbdTransmission}
 * ("Transmission") on the export the handshake chose, over one {@link NbdTransport}. This class
 * only sequences the two phases and owns the connection's life: who it is, whether it is closed,
 * how it ends and what gets logged then.
 *
 * <p>Threads: {@link #run()} is the connection's own (virtual) thread and reads everything the
 * client sends, in order; each transmission request is served on a thread of its own (see
 * {@link NbdTransmission}). {@link #close()} and {@link #shutdownInput()} may be called from any thread.
 */
final class NbdConnection implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(NbdConnection.class);

    /** A failed TLS handshake after NBD_OPT_STARTTLS: logged at WARN, the connection is dropped. */
    static final class TlsHandshakeFailure extends IOException {
        TlsHandshakeFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** A protocol violation by the client: logged at WARN, the connection is dropped. */
    static final class ProtocolViolation extends IOException {
        ProtocolViolation(String message) {
            super(message);
        }
    }

    private final NbdServer server;
    private final SocketChannel channel;
    private final String remote;
    private final boolean forcedTls;
    private final NbdMetrics metrics;
    private final NbdTransport transport;
    private final Instant handshakeDeadline;

    private volatile boolean negotiated;
    private volatile boolean closed;
    private volatile String exportName;

    /**
     * @param forcedTls  whether this session is in FORCEDTLS mode (TCP with TLS configured), else NOTLS
     * @param acceptedAt when it was accepted, by the server's clock (the handshake timeout runs from there)
     */
    NbdConnection(NbdServer server, SocketChannel channel, String remote, boolean forcedTls, Instant acceptedAt) {
        this.server = server;
        this.channel = channel;
        this.remote = remote;
        this.forcedTls = forcedTls;
        this.metrics = server.metrics();
        this.transport = new NbdTransport(channel);
        this.handshakeDeadline = acceptedAt.plus(server.settings().handshakeTimeout());
    }

    String exportName() {
        return exportName;
    }

    String remote() {
        return remote;
    }

    boolean negotiated() {
        return negotiated;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void run() {
        log.debug("NBD connection from {}", remote);
        NbdHandshake handshake = new NbdHandshake(this, transport, server.settings(), server.exports(), metrics,
                forcedTls);
        try {
            NbdHandshake.Export export = handshake.run();
            if (export != null) {
                NbdTransmission transmission = new NbdTransmission(this, transport, export, server.settings(),
                        metrics, server.pool(), server.budget());
                negotiated = true;
                transmission.run();
                transmission.closeTls();
            }
        } catch (TlsHandshakeFailure e) {
            if (!closed) {
                log.warn("NBD TLS handshake with {} failed: {}; closing the connection", remote, e.getMessage());
            }
        } catch (ProtocolViolation e) {
            metrics.protocolViolations.increment();
            log.warn("NBD protocol violation by {}{}: {}; closing the connection", remote, onExport(), e.getMessage());
        } catch (EOFException e) {
            log.debug("NBD client {}{} went away: {}", remote, onExport(), e.getMessage());
        } catch (ClosedChannelException e) {
            log.debug("NBD connection {}{} closed by the server", remote, onExport());
        } catch (IOException e) {
            log.debug("NBD connection {}{} failed: {}", remote, onExport(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.warn("NBD connection {}{} failed", remote, onExport(), e);
        } finally {
            if (handshake.refusedBeforeTls() != null && !transport.isTls()) {
                log.info("NBD client {} refused: TLS is required and it sent {} without NBD_OPT_STARTTLS",
                        remote, handshake.refusedBeforeTls());
            }
            close();
            server.connectionClosed(this);
            log.debug("NBD connection {}{} closed", remote, onExport());
        }
    }

    /** The handshake chose {@code export}: from now on the connection is named after it. */
    void entered(NbdHandshake.Export export) {
        this.exportName = export.name();
        log.debug("NBD client {} entering transmission on export '{}' ({} bytes)", remote, export.name(),
                export.size());
    }

    /** Hard disconnect; idempotent. */
    void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
    }

    /**
     * Soft end from the server's side: stop reading requests (the reader sees end of stream),
     * let those in flight finish, then close.
     */
    void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            close();
        }
    }

    /**
     * Drops the connection if it has not finished negotiation by the handshake timeout.
     *
     * @param now the server clock's time
     * @return whether this call dropped it
     */
    boolean dropIfHandshakeOverdue(Instant now) {
        if (negotiated || closed || now.isBefore(handshakeDeadline)) {
            return false;
        }
        metrics.protocolViolations.increment();
        log.warn("NBD client {} did not finish negotiation within {}; closing the connection",
                remote, server.settings().handshakeTimeout());
        close();
        return true;
    }

    /** A request thread failed beyond a device error: log, hard disconnect; a VM error goes on up. */
    void fatal(Throwable t) {
        log.error("NBD request handling failed for {}{}; closing the connection", remote, onExport(), t);
        close();
        if (t instanceof VirtualMachineError vme) {
            throw vme;
        }
    }

    private String onExport() {
        String name = exportName;
        return name == null ? "" : " (export '" + name + "')";
    }
}
