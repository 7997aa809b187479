package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bootswarm.agent.nbd.RawNbdClient.OptionReply;
import io.bootswarm.agent.nbd.RawNbdClient.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * "FORCEDTLS mode" of proto.md's "TLS support", on the wire with a raw client that upgrades with
 * the JDK's TLS client: what is refused before NBD_OPT_STARTTLS, the upgrade itself, STARTTLS
 * twice, a client that does not trust the server, client certificates, and the TLS counters.
 */
class NbdTlsProtocolTest {

    static final int OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_STARTTLS = 5, OPT_INFO = 6, OPT_GO = 7,
            OPT_STRUCTURED_REPLY = 8;
    static final int REP_ACK = 1, REP_SERVER = 2, REP_ERR_INVALID = 0x80000003, REP_ERR_TLS_REQD = 0x80000005;
    static final int CMD_READ = 0;
    static final int SIZE = 1 << 20;

    static TestPki pki;

    byte[] image;
    ExportRegistry exports;
    SimpleMeterRegistry meters;
    NbdServer server;

    @BeforeAll
    static void createPki() throws Exception {
        pki = TestPki.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        image = new byte[SIZE];
        new Random(7).nextBytes(image);
        exports = new ExportRegistry();
        exports.put("disk", new MemoryBlockDevice(image.clone()));
        meters = new SimpleMeterRegistry();
        server = start(false);
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    NbdServer start(boolean verifyPeer) throws IOException {
        return new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0).withTls(NbdTls.of(pki.serverBundle(verifyPeer))),
                exports, meters).start();
    }

    RawNbdClient connect() throws IOException {
        return new RawNbdClient(server.tcpPort()).start();
    }

    static SSLContext trusting(Path dir) {
        return TestPki.clientBundle(dir).createSslContext();
    }

    static void startTls(RawNbdClient c, Path clientDir) throws IOException {
        c.option(OPT_STARTTLS, new byte[0]);
        OptionReply ack = c.optionReply();
        assertThat(ack.option()).isEqualTo(OPT_STARTTLS);
        assertThat(ack.type()).isEqualTo(REP_ACK);
        assertThat(ack.data()).isEmpty();
        c.startTls(trusting(clientDir));
    }

    double handshakes(String outcome) {
        return meters.get("bootswarm.nbd.tls.handshakes").tag("outcome", outcome).functionCounter().count();
    }

    @Test
    void beforeStartTlsEveryOptionButAbortIsRefusedWithTlsReqd() throws IOException {
        try (RawNbdClient c = connect()) {
            for (int option : new int[] {OPT_LIST, OPT_STRUCTURED_REPLY, 4, 0x1234}) {
                c.option(option, new byte[0]);
                OptionReply r = c.optionReply();
                assertThat(r.option()).isEqualTo(option);
                assertThat(r.type()).as("reply to option %d", option).isEqualTo(REP_ERR_TLS_REQD);
            }
            for (int option : new int[] {OPT_INFO, OPT_GO}) {
                c.option(option, RawNbdClient.infoData("disk"));
                OptionReply r = c.optionReply();
                assertThat(r.type()).as("reply to option %d", option).isEqualTo(REP_ERR_TLS_REQD);
                assertThat(r.text()).contains("NBD_OPT_STARTTLS");
            }
            c.option(OPT_ABORT, new byte[0]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ACK);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.stats().readRequests()).isZero();
        assertThat(server.stats().protocolViolations()).isZero();
    }

    @Test
    void exportNameBeforeStartTlsEndsTheSession() throws IOException {
        try (RawNbdClient c = connect()) {
            c.option(OPT_EXPORT_NAME, "disk".getBytes());
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void afterStartTlsTheSessionNegotiatesAndReadsOverTls() throws IOException {
        try (RawNbdClient c = connect()) {
            c.option(OPT_STARTTLS, new byte[] {1});
            assertThat(c.optionReply().type()).as("STARTTLS with data").isEqualTo(REP_ERR_INVALID);
            startTls(c, pki.client());

            c.option(OPT_STARTTLS, new byte[0]);
            OptionReply again = c.optionReply();
            assertThat(again.type()).as("STARTTLS once TLS is up").isEqualTo(REP_ERR_INVALID);
            c.option(OPT_LIST, new byte[0]);
            OptionReply listed = c.optionReply();
            assertThat(listed.type()).isEqualTo(REP_SERVER);
            assertThat(new String(listed.data(), 4, listed.data().length - 4)).isEqualTo("disk");
            assertThat(c.optionReply().type()).isEqualTo(REP_ACK);

            assertThat(c.go("disk")).isEqualTo(SIZE);
            c.request(0, CMD_READ, 9, 4096, 100_000, null);
            c.flush();
            Reply r = c.reply(cookie -> 100_000);
            assertThat(r.error()).isZero();
            assertThat(r.cookie()).isEqualTo(9);
            assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, 4096, 4096 + 100_000));
        }
        assertThat(handshakes("done")).isEqualTo(1);
        assertThat(handshakes("failed")).isZero();
        assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
    }

    @Test
    void aClientThatDoesNotTrustTheServerFailsTheHandshakeAndIsDropped() throws IOException {
        try (RawNbdClient c = connect()) {
            c.option(OPT_STARTTLS, new byte[0]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ACK);
            assertThatThrownBy(() -> c.startTls(trusting(pki.rogue()))).isInstanceOf(SSLException.class);
            assertThat(c.closedByServerBelowTls()).isTrue();
        }
        // the server counts the failure after it has closed the connection: wait for the count, not for time
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> server.stats().tlsHandshakesFailed() == 1);
        assertThat(handshakes("failed")).isEqualTo(1);
        assertThat(handshakes("done")).isZero();
    }

    @Test
    void plaintextSentBehindStartTlsIsAViolation() throws IOException {
        try (RawNbdClient c = connect()) {
            // STARTTLS and, in the same segment, a plaintext option a man in the middle could have added
            byte[] go = RawNbdClient.infoData("disk");
            ByteBuffer b = ByteBuffer.allocate(32 + go.length).putLong(RawNbdClient.IHAVEOPT).putInt(OPT_STARTTLS)
                    .putInt(0).putLong(RawNbdClient.IHAVEOPT).putInt(OPT_GO).putInt(go.length).put(go);
            c.out.write(b.array());
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.stats().protocolViolations()).isEqualTo(1);
        assertThat(server.stats().tlsHandshakes()).isZero();
    }

    @Test
    void withATrustStoreAClientMustPresentACertificateSignedByIt() throws IOException {
        server.close();
        meters = new SimpleMeterRegistry();
        server = start(true);
        try (RawNbdClient c = connect()) {
            c.option(OPT_STARTTLS, new byte[0]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ACK);
            // TLS 1.3: the client learns of the refusal at its first read
            assertThatThrownBy(() -> {
                c.startTls(trusting(pki.client()));
                c.go("disk");
            }).isInstanceOf(IOException.class);
            assertThat(c.closedByServerBelowTls()).isTrue();
        }
        try (RawNbdClient c = connect()) {
            startTls(c, pki.clientWithCert());
            assertThat(c.go("disk")).isEqualTo(SIZE);
        }
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> server.stats().tlsHandshakesFailed() == 1);
        assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
    }
}
