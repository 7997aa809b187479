package io.bootswarm.agent.nbd;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Throw-away X.509 material for the NBD TLS tests, made with the JDK's {@code keytool}: CAs with EC
 * P-256 keys, so certificates are signed with ECDSA (GnuTLS 3.7 offers no client certificate signed
 * with an algorithm missing from the server's {@code signature_algorithms}, which JDK servers list
 * without PKCS#1 RSA), and RSA 2048 leaf keys (GnuTLS 3.7 cannot read the PKCS#8 EC keys the JDK
 * writes: "ASN1 parser: Element was not found")
 * and written as PEM in the file layout of QEMU's {@code tls-creds-x509} and libnbd's
 * {@code tls-certificates} directories:
 *
 * <ul>
 *   <li>{@link #server}: {@code ca-cert.pem}, {@code server-cert.pem} (SAN IP 127.0.0.1 and DNS
 *       localhost), {@code server-key.pem}</li>
 *   <li>{@link #client}: {@code ca-cert.pem} only (trusts the server, presents no certificate)</li>
 *   <li>{@link #clientWithCert}: {@code ca-cert.pem}, {@code client-cert.pem}, {@code client-key.pem}</li>
 *   <li>{@link #rogue}: {@code ca-cert.pem} of another CA, which never signed the server's certificate</li>
 * </ul>
 */
record TestPki(Path server, Path client, Path clientWithCert, Path rogue) {

    private static final String PASSWORD = "changeit";
    private static final List<String> CA_KEY = List.of("-keyalg", "EC", "-groupname", "secp256r1");

    private static TestPki shared;

    /**
     * The one PKI of this test JVM, made on first use in a temporary directory removed when the JVM exits: the
     * tests only read its files, and each {@link #create} runs {@code keytool} eight times.
     */
    static synchronized TestPki shared() throws IOException, InterruptedException, GeneralSecurityException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("nbd-test-pki-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> FileSystemUtils.deleteRecursively(dir.toFile())));
            shared = create(dir);
        }
        return shared;
    }

    static TestPki create(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
        Path work = Files.createDirectories(dir.resolve("keystores"));
        TestPki pki = new TestPki(Files.createDirectories(dir.resolve("server")),
                Files.createDirectories(dir.resolve("client")), Files.createDirectories(dir.resolve("client-cert")),
                Files.createDirectories(dir.resolve("rogue")));
        Path ca = work.resolve("ca.p12");
        keyPair(ca, "ca", "CN=bootswarm NBD test CA", CA_KEY, "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign");
        Path caCert = work.resolve("ca-cert.pem");
        Files.writeString(caCert, pem("CERTIFICATE", load(ca).getCertificate("ca").getEncoded()));
        for (Path d : List.of(pki.server, pki.client, pki.clientWithCert)) {
            Files.copy(caCert, d.resolve("ca-cert.pem"));
        }
        issue(ca, work, "server", "CN=127.0.0.1", pki.server, "san=ip:127.0.0.1,dns:localhost");
        issue(ca, work, "client", "CN=bootswarm NBD test client", pki.clientWithCert, null);
        Path rogueCa = work.resolve("rogue.p12");
        keyPair(rogueCa, "ca", "CN=bootswarm NBD test CA", CA_KEY, "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign");
        Files.writeString(pki.rogue.resolve("ca-cert.pem"), pem("CERTIFICATE", load(rogueCa).getCertificate("ca").getEncoded()));
        return pki;
    }

    /**
     * The server's SSL bundle as {@code spring.ssl.bundle.pem.<name>} builds it from these files:
     * {@code keystore.certificate}/{@code keystore.private-key}, and with {@code verifyPeer}
     * {@code truststore.certificate} = the CA.
     */
    SslBundle serverBundle(boolean verifyPeer) {
        PemSslStoreDetails keyStore = PemSslStoreDetails.forCertificate(location(server.resolve("server-cert.pem")))
                .withPrivateKey(location(server.resolve("server-key.pem")));
        PemSslStoreDetails trustStore = verifyPeer
                ? PemSslStoreDetails.forCertificate(location(server.resolve("ca-cert.pem"))) : null;
        return SslBundle.of(new PemSslStoreBundle(keyStore, trustStore));
    }

    /** A Java client's bundle trusting the CA of {@code dir} and, if it has one, presenting its client certificate. */
    static SslBundle clientBundle(Path dir) {
        PemSslStoreDetails keyStore = Files.exists(dir.resolve("client-cert.pem"))
                ? PemSslStoreDetails.forCertificate(location(dir.resolve("client-cert.pem")))
                        .withPrivateKey(location(dir.resolve("client-key.pem")))
                : null;
        return SslBundle.of(new PemSslStoreBundle(keyStore,
                PemSslStoreDetails.forCertificate(location(dir.resolve("ca-cert.pem")))));
    }

    private static String location(Path file) {
        return "file:" + file.toAbsolutePath();
    }

    private static void issue(Path ca, Path work, String name, String dname, Path out, String san)
            throws IOException, InterruptedException, GeneralSecurityException {
        Path store = work.resolve(name + ".p12");
        keyPair(store, name, dname, List.of("-keyalg", "RSA", "-keysize", "2048"));
        Path csr = work.resolve(name + ".csr");
        keytool("-certreq", "-keystore", store.toString(), "-alias", name, "-file", csr.toString());
        Path cert = out.resolve(name + "-cert.pem");
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-keystore", ca.toString(), "-alias", "ca",
                "-infile", csr.toString(), "-outfile", cert.toString(), "-rfc", "-validity", "2", "-startdate", "-1d"));
        if (san != null) {
            gencert.addAll(List.of("-ext", san));
        }
        keytool(gencert.toArray(String[]::new));
        Files.writeString(out.resolve(name + "-key.pem"),
                pem("PRIVATE KEY", load(store).getKey(name, PASSWORD.toCharArray()).getEncoded()));
    }

    private static void keyPair(Path store, String alias, String dname, List<String> key, String... extensions)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12",
                "-alias", alias, "-dname", dname, "-validity", "2", "-startdate", "-1d"));
        args.addAll(key);
        args.addAll(List.of(extensions));
        keytool(args.toArray(String[]::new));
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-storepass", PASSWORD, "-noprompt"));
        ExternalTools.Result r = ExternalTools.run(command, 120);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + r.output());
        }
    }

    private static KeyStore load(Path store) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
