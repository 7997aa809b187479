package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdServerIT.run;
import static io.bootswarm.agent.nbd.NbdServerIT.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * NBD over TLS against real clients: libnbd's {@code nbdinfo}/{@code nbdcopy} with {@code nbds://}
 * URIs and {@code qemu-img} with {@code tls-creds-x509}, using certificates in the directory layout
 * both expect ({@link TestPki}). The server requires TLS on TCP; a second one also verifies client
 * certificates. A missing tool fails the test; nothing is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdTlsIT {

    static final long IMAGE_SIZE = 24L << 20;

    Path dir;
    Path image;
    String imageSha;
    TestPki pki;
    FileBlockDevice device;
    NbdServer server;
    NbdServer verifying;
    Path socket;

    @BeforeAll
    void setUp(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        ExternalTools.require("nbdinfo", "nbdcopy", "qemu-img");
        pki = TestPki.shared();
        image = dir.resolve("image.raw");
        NbdServerIT.writeImage(image, IMAGE_SIZE, 3);
        imageSha = sha256(image);
        device = FileBlockDevice.openReadOnly(image);
        ExportRegistry exports = new ExportRegistry();
        exports.put("image", device);
        socket = dir.resolve("nbd.sock");
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0).withUnixSocket(socket)
                .withTls(NbdTls.of(pki.serverBundle(false))), exports).start();
        verifying = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0)
                .withTls(NbdTls.of(pki.serverBundle(true))), exports).start();
    }

    @AfterAll
    void tearDown() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, verifying, device}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static String nbds(NbdServer s, Path certificates) {
        return "nbds://127.0.0.1:" + s.tcpPort() + "/image?tls-certificates=" + certificates;
    }

    static List<String> qemuImgConvert(NbdServer s, Path certificates, Path out) {
        return List.of("qemu-img", "convert", "-O", "raw",
                "--object", "tls-creds-x509,id=tls0,dir=" + certificates + ",endpoint=client",
                "--image-opts", "driver=nbd,host=127.0.0.1,port=" + s.tcpPort() + ",export=image,tls-creds=tls0",
                out.toString());
    }

    /** Runs a client that must fail; asserts that it did and that no byte of the export was read. */
    static ExternalTools.Result refused(NbdServer s, List<String> command) throws Exception {
        long bytesRead = s.stats().bytesRead();
        ExternalTools.Result r = ExternalTools.run(command, 120);
        assertThat(r.exitCode()).as("%s%n%s", String.join(" ", command), r.output()).isNotZero();
        assertThat(s.stats().bytesRead()).as("bytes read by %s", command.getFirst()).isEqualTo(bytesRead);
        return r;
    }

    static void assertNothingCopied(Path out) throws Exception {
        assertThat(!Files.exists(out) || Files.size(out) == 0).as("%s holds nothing", out).isTrue();
    }

    @Test
    void nbdinfoAndNbdcopyReadTheExportOverTls() throws Exception {
        long handshakes = server.stats().tlsHandshakes();
        assertThat(run("nbdinfo", "--json", nbds(server, pki.client())))
                .containsPattern("\"export-size\":\\s*" + IMAGE_SIZE);
        Path out = dir.resolve("nbdcopy-tls.raw");
        run("nbdcopy", nbds(server, pki.client()), out.toString());
        assertThat(sha256(out)).isEqualTo(imageSha);
        assertThat(server.stats().tlsHandshakes()).isGreaterThan(handshakes + 1);
    }

    @Test
    void qemuImgConvertReadsTheExportOverTls() throws Exception {
        Path out = dir.resolve("qemu-tls.raw");
        run(qemuImgConvert(server, pki.client(), out).toArray(String[]::new));
        assertThat(sha256(out)).isEqualTo(imageSha);
    }

    @Test
    void clientsWithoutTlsAreRefused() throws Exception {
        String plain = "nbd://127.0.0.1:" + server.tcpPort() + "/image";
        assertThat(refused(server, List.of("nbdinfo", plain)).output()).containsIgnoringCase("tls");
        Path out = dir.resolve("nbdcopy-plain.raw");
        refused(server, List.of("nbdcopy", plain, out.toString()));
        assertNothingCopied(out);
        Path qemuOut = dir.resolve("qemu-plain.raw");
        refused(server, List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", plain, qemuOut.toString()));
        assertNothingCopied(qemuOut);
    }

    @Test
    void clientsTrustingAnotherCaAreRefused() throws Exception {
        Path out = dir.resolve("nbdcopy-rogue.raw");
        refused(server, List.of("nbdcopy", nbds(server, pki.rogue()), out.toString()));
        assertNothingCopied(out);
        Path qemuOut = dir.resolve("qemu-rogue.raw");
        refused(server, qemuImgConvert(server, pki.rogue(), qemuOut));
        assertNothingCopied(qemuOut);
    }

    @Test
    void theUnixSocketNeedsNoTls() throws Exception {
        Path out = dir.resolve("nbdcopy-unix.raw");
        run("nbdcopy", "nbd+unix:///image?socket=" + socket, out.toString());
        assertThat(sha256(out)).isEqualTo(imageSha);
    }

    @Test
    void withATrustStoreOnlyClientsWithACertificateSignedByItAreServed() throws Exception {
        Path out = dir.resolve("nbdcopy-nocert.raw");
        refused(verifying, List.of("nbdcopy", nbds(verifying, pki.client()), out.toString()));
        assertNothingCopied(out);
        Path qemuNoCert = dir.resolve("qemu-nocert.raw");
        refused(verifying, qemuImgConvert(verifying, pki.client(), qemuNoCert));
        assertNothingCopied(qemuNoCert);

        Path copied = dir.resolve("nbdcopy-cert.raw");
        run("nbdcopy", nbds(verifying, pki.clientWithCert()), copied.toString());
        assertThat(sha256(copied)).isEqualTo(imageSha);
        Path qemuCopied = dir.resolve("qemu-cert.raw");
        run(qemuImgConvert(verifying, pki.clientWithCert(), qemuCopied).toArray(String[]::new));
        assertThat(sha256(qemuCopied)).isEqualTo(imageSha);
    }
}
