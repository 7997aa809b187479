package io.bootswarm.agent.nbd;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Objects;

/**
 * TLS for an {@link NbdServer}: with it the server runs in the FORCEDTLS mode of {@code doc/proto.md}
 * ("TLS support", "Server-side requirements", "FORCEDTLS mode"): every option other than
 * {@code NBD_OPT_STARTTLS} and {@code NBD_OPT_ABORT} is refused with {@code NBD_REP_ERR_TLS_REQD}
 * until the client has upgraded the session with {@code NBD_OPT_STARTTLS}, authenticated by the
 * server's X.509 certificate.
 *
 * @param context    holds the server's key and certificate chain, and, with {@code verifyPeer}, the
 *                   certificates that client certificates must chain to
 * @param verifyPeer demand a client certificate and verify it (as QEMU's
 *                   {@code tls-creds-x509,verify-peer=on}); a client without one is refused
 * @param protocols  TLS versions to enable, empty for the JDK's defaults
 * @param ciphers    cipher suites to enable, empty for the JDK's defaults
 */
public record NbdTls(SSLContext context, boolean verifyPeer, List<String> protocols, List<String> ciphers) {

    public NbdTls {
        Objects.requireNonNull(context, "context");
        protocols = protocols == null ? List.of() : List.copyOf(protocols);
        ciphers = ciphers == null ? List.of() : List.copyOf(ciphers);
    }

    /** What {@link #of} enables when it verifies peers and the bundle names no protocol. */
    static final List<String> PEER_VERIFYING_PROTOCOLS = List.of("TLSv1.2");

    /**
     * From a Spring Boot SSL bundle ({@code spring.ssl.bundle.pem.<name>.*} or {@code .jks.<name>.*}):
     * its key store is the server's identity; a trust store, if it has one, turns on client
     * certificate verification; its {@code options} restrict versions and ciphers.
     *
     * <p>With a trust store and no {@code options.enabled-protocols}, only TLS 1.2 is enabled:
     * libnbd 1.14 and QEMU 7.2 (GnuTLS 3.7, non-blocking sockets) answer a JDK server's TLS 1.3
     * CertificateRequest with an empty certificate list, though they hold a matching certificate
     * (gnutls-cli, blocking, sends it); over TLS 1.2 they send it. Naming protocols in the bundle
     * overrides this.
     */
    public static NbdTls of(SslBundle bundle) {
        SslOptions options = bundle.getOptions();
        boolean verifyPeer = bundle.getStores().getTrustStore() != null;
        List<String> protocols = options.getEnabledProtocols() != null ? List.of(options.getEnabledProtocols())
                : verifyPeer ? PEER_VERIFYING_PROTOCOLS : List.of();
        return new NbdTls(bundle.createSslContext(), verifyPeer, protocols,
                options.getCiphers() == null ? List.of() : List.of(options.getCiphers()));
    }

    /** A server-side TLS socket over {@code channel} (blocking); closing it closes the channel. */
    SSLSocket layer(SocketChannel channel, String peer) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(channel.socket(), peer,
                channel.socket().getPort(), true);
        socket.setUseClientMode(false);
        SSLParameters params = socket.getSSLParameters();
        params.setNeedClientAuth(verifyPeer);
        if (!protocols.isEmpty()) {
            params.setProtocols(protocols.toArray(String[]::new));
        }
        if (!ciphers.isEmpty()) {
            params.setCipherSuites(ciphers.toArray(String[]::new));
        }
        socket.setSSLParameters(params);
        return socket;
    }
}
