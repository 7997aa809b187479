package io.bootswarm.agent.aot;

import io.bootswarm.agent.NodeAgentApplication;
import io.bootswarm.agent.launch.Disks;
import io.bootswarm.agent.nbd.NbdServer;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.PieceSplitter;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The training run of the agent's ahead-of-time cache (JEP 483/514): the container image build runs
 * it once under {@code -XX:AOTCacheOutput=<cache>}, on the image's own JVM and class path, so that
 * every start of the image, the first one and one after a SIGKILL included, maps the classes it
 * loaded, linked and profiled ({@code -XX:AOTCache=<cache>}, node-agent's Jib {@code jvmFlags}).
 *
 * <p>It does what a restart under running guests does, in a temporary data directory, with the
 * tracker, profile-service, the seed and Kafka unreachable: the application starts, makes a disk of
 * a small generated image (its manifest signed by a key made for the run and cached as one from a
 * seed would be), writes and flushes a block of it, and stops; then it starts again, its early start
 * reopens the disk, and the block is read back over NBD (and the readiness probe over HTTP) before
 * the application is stopped and the JVM exits, which writes the cache. Any failure exits non-zero:
 * an image build must not ship a cache trained on a start that did not work.
 */
public final class AotTraining {

    private static final int BLOCK = 4096;
    private static final long NBD_MAGIC = 0x4e42444d41474943L;
    private static final long NBD_OPTS_MAGIC = 0x49484156454F5054L;

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Files.createTempDirectory("bootswarm-aot-training");
        int status = 1;
        try {
            train(data);
            status = 0;
        } finally {
            deleteRecursively(data);
        }
        System.exit(status);
    }

    /** Both starts on {@code data}; throws if the block written by the first is not what the second serves. */
    static void train(Path data) throws Exception {
        KeyPair key = ManifestSignature.generateKeyPair();
        byte[] image = new byte[3 * Manifest.DEFAULT_PIECE_SIZE];
        new Random(1).nextBytes(image);
        Manifest manifest = new PieceSplitter(Manifest.DEFAULT_PIECE_SIZE, Long.MAX_VALUE)
                .split(new ByteArrayInputStream(image), null, null).manifest(UUID.randomUUID(), "aot-training");
        cacheManifest(data.resolve("manifests"), manifest, key);
        String[] args = arguments(data, ManifestSignature.encodePublicKey(key.getPublic()));

        byte[] block = new byte[BLOCK];
        new Random(2).nextBytes(block);
        long offset = Manifest.DEFAULT_PIECE_SIZE;
        UUID launch = UUID.randomUUID();
        try (ConfigurableApplicationContext first = NodeAgentApplication.builder().run(args)) {
            Disks.OpenDisk disk = first.getBean(Disks.class).create(manifest.imageId(), launch,
                    new LaunchOptions(null, LaunchOptions.Policy.DEMAND, null, false));
            disk.disk().write(offset, ByteBuffer.wrap(block));
            disk.disk().flush();
        }
        try (ConfigurableApplicationContext second = NodeAgentApplication.builder().run(args)) {
            byte[] read = readOverNbd(second.getBean(NbdServer.class).tcpPort(), launch.toString(), offset, BLOCK);
            if (!Arrays.equals(read, block)) {
                throw new IllegalStateException("the reopened disk did not serve the block written before the restart");
            }
            readiness(second.getEnvironment().getProperty("local.server.port", Integer.class, 0));
        }
    }

    /** The agent's settings for the run: everything in {@code data}, ports the system picks, nothing else reachable. */
    private static String[] arguments(Path data, String manifestKey) {
        String nowhere = "127.0.0.1:9";
        return Stream.of(
                "bootswarm.agent.data-directory=" + data,
                "bootswarm.agent.host-name=aot-training",
                "bootswarm.agent.advertised-host=127.0.0.1",
                "bootswarm.agent.tracker-url=http://" + nowhere,
                "bootswarm.agent.profile-url=http://" + nowhere,
                "bootswarm.agent.manifest-keys=" + manifestKey,
                "spring.kafka.bootstrap-servers=" + nowhere,
                "bootswarm.kafka.password=aot-training",
                "spring.kafka.admin.operation-timeout=1s",
                "logging.level.org.apache.kafka=ERROR",
                "spring.security.oauth2.resourceserver.jwt.jwk-set-uri=http://" + nowhere + "/jwks",
                "bootswarm.security.client.id=aot-training",
                "bootswarm.security.client.secret=aot-training",
                "bootswarm.security.client.token-uri=http://" + nowhere + "/oauth2/token",
                "server.port=0",
                "bootswarm.agent.peer-port=0",
                "bootswarm.agent.nbd.port=0").map(p -> "--" + p).toArray(String[]::new);
    }

    /** The manifest and its signature as the agent caches one from a seed ({@code <image>.json}, {@code <image>.sig}). */
    private static void cacheManifest(Path directory, Manifest manifest, KeyPair key) throws IOException {
        Files.createDirectories(directory);
        JsonMapper json = JsonMapper.builder().build();
        var doc = manifest.toDocument();
        json.writeValue(directory.resolve(manifest.imageId() + ".json").toFile(), doc);
        json.writeValue(directory.resolve(manifest.imageId() + ".sig").toFile(), Map.of(
                "keyId", ManifestSignature.keyId(key.getPublic()),
                "signature", Base64.getEncoder().encodeToString(ManifestSignature.sign(doc, key.getPrivate()))));
    }

    /** One READ with the plainest NBD client: fixed newstyle, NBD_OPT_EXPORT_NAME, no zeroes. */
    private static byte[] readOverNbd(int port, String export, long offset, int length) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            if (in.readLong() != NBD_MAGIC || in.readLong() != NBD_OPTS_MAGIC) {
                throw new IOException("not an NBD server on port " + port);
            }
            in.readUnsignedShort();
            out.writeInt(0b11);
            byte[] name = export.getBytes(StandardCharsets.UTF_8);
            out.writeLong(NBD_OPTS_MAGIC);
            out.writeInt(1);
            out.writeInt(name.length);
            out.write(name);
            out.flush();
            in.readLong();
            in.readUnsignedShort();
            out.writeInt(0x25609513);
            out.writeShort(0);
            out.writeShort(0);
            out.writeLong(7);
            out.writeLong(offset);
            out.writeInt(length);
            out.flush();
            int magic = in.readInt();
            int error = in.readInt();
            in.readLong();
            if (magic != 0x67446698 || error != 0) {
                throw new IOException("NBD read failed: magic " + Integer.toHexString(magic) + ", error " + error);
            }
            return in.readNBytes(length);
        }
    }

    private static void readiness(int port) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("readiness probe answered " + r.statusCode() + ": " + r.body());
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
