package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bootswarm.agent.disk.PieceSource;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Cache hints, fast zeroes and a QEMU block job against {@link VirtualDisk} exports, with real
 * clients: libnbd's {@code nbdsh} (Debian's python3-libnbd: the one Debian client that sends
 * {@code NBD_CMD_CACHE} and {@code NBD_CMD_FLAG_FAST_ZERO}) and QEMU itself ({@code qemu-system-x86_64}
 * with no guest, driven over QMP), whose mirror and backup jobs copy the export into a local raw file
 * that must equal the image. The tests that need a tool skip, saying which, where it is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdCacheAndBlockJobIT {

    static final int PIECE = 256 * 1024;
    static final int PIECES = 48;

    Path dir;
    byte[] image;
    Manifest manifest;
    final List<AutoCloseable> resources = new ArrayList<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    NbdServer server;
    PieceStore coldStore;
    VirtualDisk zeroes;
    /** Prefetches and demand fetches the cold export's source was asked for, in order. */
    final List<Integer> prefetched = new CopyOnWriteArrayList<>();
    final List<Integer> required = new CopyOnWriteArrayList<>();

    /** Data pieces: every fifth and piece 7; the other 37 of 48 are zero. */
    static boolean isData(int piece) {
        return piece % 5 == 0 || piece == 7;
    }

    @BeforeAll
    void setUp(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        image = new byte[PIECES * PIECE];
        Random rnd = new Random(21);
        for (int p = 0; p < PIECES; p++) {
            if (isData(p)) {
                byte[] piece = new byte[PIECE];
                rnd.nextBytes(piece);
                System.arraycopy(piece, 0, image, p * PIECE, PIECE);
            }
        }
        manifest = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), "cache-and-block-job");

        PieceStore full = store("full");
        for (int p = 0; p < PIECES; p++) {
            if (!manifest.isZero(p)) {
                put(full, p);
            }
        }
        coldStore = store("cold");
        PieceSource swarm = new PieceSource() {
            @Override
            public void require(int piece) throws IOException {
                required.add(piece);
                put(coldStore, piece);
            }

            @Override
            public CompletableFuture<Void> prefetch(int piece) {
                prefetched.add(piece);
                try {
                    put(coldStore, piece);
                    return CompletableFuture.completedFuture(null);
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
        };

        ExportRegistry exports = new ExportRegistry();
        exports.put("job-source", disk(full, "job-source", noSource()));
        zeroes = disk(full, "zeroes", noSource());
        exports.put("zeroes", zeroes);
        exports.put("cold", disk(coldStore, "cold", swarm));
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports, meters).start();
        resources.add(server);
    }

    @AfterAll
    void tearDown() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    PieceStore store(String name) throws IOException {
        PieceStore s = PieceStore.open(dir.resolve(name), PIECE, Duration.ofHours(1));
        resources.add(s);
        return s;
    }

    void put(PieceStore store, int piece) throws IOException {
        store.put(VerifiedPiece.verify(manifest.hash(piece),
                Arrays.copyOfRange(image, piece * PIECE, (piece + 1) * PIECE), PIECE).orElseThrow());
    }

    static PieceSource noSource() {
        return piece -> {
            throw new IOException("piece " + piece + " is not on this host");
        };
    }

    VirtualDisk disk(PieceStore store, String name, PieceSource source) throws IOException {
        VirtualDisk d = VirtualDisk.open(manifest, store, source, dir.resolve("overlay-" + name),
                VirtualDisk.AccessListener.NONE);
        resources.add(d);
        return d;
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + server.tcpPort() + "/" + export;
    }

    /**
     * Runs a Python snippet in nbdsh connected to {@code export}. nbdsh runs the {@code python3} it
     * finds on PATH, and libnbd's module belongs to the system's, so /usr/bin comes first.
     */
    String nbdsh(String export, String script) throws Exception {
        assumeTrue(ExternalTools.find("nbdsh") != null,
                "nbdsh is not installed (apt-get install python3-libnbd): the NBD_CMD_CACHE / FAST_ZERO client checks are skipped");
        ExternalTools.Result r = ExternalTools.run(List.of("env", "PATH=/usr/bin:/bin:" + System.getenv("PATH"),
                "nbdsh", "-u", uri(export), "-c", script), 120);
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r.output();
    }

    @Test
    void nbdshCacheOfARangePrefetchesItsMissingPiecesThroughTheSwarmAndReadsThemWithoutADemandFetch()
            throws Exception {
        String out = nbdsh("cold", String.join("\n",
                "print('can_cache', h.can_cache())",
                "h.cache(" + 10 * PIECE + ", " + 10 * PIECE + ")",
                "h.cache(" + 10 * PIECE + ", " + 10 * PIECE + ")",
                "import hashlib",
                "print('sha256', hashlib.sha256(h.pread(" + 10 * PIECE + ", " + 10 * PIECE + ")).hexdigest())"));

        assertThat(out).contains("can_cache True");
        // pieces 10..19: data pieces 10 and 15, each fetched once although hinted twice
        assertThat(prefetched).containsExactly(10, 15);
        assertThat(coldStore.contains(manifest.hash(10))).isTrue();
        assertThat(coldStore.contains(manifest.hash(15))).isTrue();
        assertThat(required).isEmpty();
        assertThat(out).contains("sha256 " + sha256(Arrays.copyOfRange(image, 10 * PIECE, 20 * PIECE)));
        assertThat(meters.get("bootswarm.nbd.requests").tag("command", "cache").functionCounter().count())
                .isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void nbdshFastZeroSucceedsOverZeroesAndIsRefusedWithEnotsupOverDataLeavingItUnchanged() throws Exception {
        int zeroPiece = 1;
        String out = nbdsh("zeroes", String.join("\n",
                "print('can_fast_zero', h.can_fast_zero())",
                "h.zero(65536, " + zeroPiece * PIECE + ", nbd.CMD_FLAG_FAST_ZERO)",
                "print('fast zero over zeroes: ok')",
                "try:",
                "    h.zero(65536, 0, nbd.CMD_FLAG_FAST_ZERO)",
                "    print('fast zero over data: ok')",
                "except nbd.Error as e:",
                "    print('fast zero over data: errno', e.errno)",
                "import hashlib",
                "print('sha256', hashlib.sha256(h.pread(" + 2 * PIECE + ", 0)).hexdigest())"));

        assertThat(out).contains("can_fast_zero True", "fast zero over zeroes: ok",
                "fast zero over data: errno ENOTSUP");
        assertThat(out).contains("sha256 " + sha256(Arrays.copyOf(image, 2 * PIECE)));
        assertThat(zeroes.writtenClusters()).isZero();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void qemuBlockdevMirrorOfTheExportCompletesAndItsTargetEqualsTheImage() throws Exception {
        blockJobCopiesTheImageReadingOnlyItsDataPieces("blockdev-mirror", true);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void qemuBlockdevBackupOfTheExportCompletesAndItsTargetEqualsTheImage() throws Exception {
        blockJobCopiesTheImageReadingOnlyItsDataPieces("blockdev-backup", false);
    }

    /**
     * Adds the export to a guestless QEMU as an {@code nbd} node and a fresh local raw file as a
     * {@code file}+{@code raw} node, runs {@code command} (sync full) from one to the other, waits for
     * {@code BLOCK_JOB_READY} and completes the job where it has that phase (mirror), then for
     * {@code BLOCK_JOB_COMPLETED}; the file must equal the image, and the job must have skipped the
     * zero pieces the export's block status reported (the server sent only the data pieces' bytes).
     */
    void blockJobCopiesTheImageReadingOnlyItsDataPieces(String command, boolean ready) throws Exception {
        assumeTrue(ExternalTools.find("qemu-system-x86_64") != null,
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): the QEMU block job test is skipped");
        Path target = dir.resolve(command + "-target.raw");
        try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
            f.setLength(image.length);
        }
        double readBefore = meters.get("bootswarm.nbd.read.bytes").functionCounter().count();
        try (Qemu qemu = Qemu.start(dir)) {
            Qmp qmp = qemu.qmp;
            qmp.execute("blockdev-add", Map.of("driver", "nbd", "node-name", "source", "export", "job-source",
                    "server", Map.of("type", "inet", "host", "127.0.0.1", "port", String.valueOf(server.tcpPort()))));
            qmp.execute("blockdev-add", Map.of("driver", "file", "node-name", "target-file",
                    "filename", target.toString()));
            qmp.execute("blockdev-add", Map.of("driver", "raw", "node-name", "target", "file", "target-file"));
            qmp.execute(command, Map.of("job-id", "job", "device", "source", "target", "target", "sync", "full"));

            if (ready) {
                JsonNode r = qmp.awaitEvent("BLOCK_JOB_READY");
                assertThat(r.path("data").path("device").asString()).isEqualTo("job");
                qmp.execute("block-job-complete", Map.of("device", "job"));
            }
            JsonNode completed = qmp.awaitEvent("BLOCK_JOB_COMPLETED");
            assertThat(completed.path("data").has("error")).as(completed.toString()).isFalse();
            assertThat(completed.path("data").path("offset").asLong()).as(completed.toString()).isEqualTo(image.length);
            qmp.execute("blockdev-del", Map.of("node-name", "target"));
            qmp.execute("blockdev-del", Map.of("node-name", "target-file"));
            qmp.execute("blockdev-del", Map.of("node-name", "source"));
        }

        assertThat(sha256(Files.readAllBytes(target))).isEqualTo(sha256(image));
        double read = meters.get("bootswarm.nbd.read.bytes").functionCounter().count() - readBefore;
        assertThat(read).isEqualTo((double) (PIECES - manifest.zeroCount()) * PIECE);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** {@code qemu-system-x86_64} without a machine or a guest, its QMP monitor connected to a socket of ours. */
    static final class Qemu implements Closeable {
        final Process process;
        final Path log;
        final Qmp qmp;

        private Qemu(Process process, Path log, Qmp qmp) {
            this.process = process;
            this.log = log;
            this.qmp = qmp;
        }

        static Qemu start(Path dir) throws Exception {
            Path socket = dir.resolve("qmp.sock");
            Path log = dir.resolve("qemu.log");
            try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                 Selector selector = Selector.open()) {
                listener.bind(UnixDomainSocketAddress.of(socket));
                listener.configureBlocking(false);
                listener.register(selector, SelectionKey.OP_ACCEPT);
                Process p = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults",
                        "-no-user-config", "-display", "none", "-qmp", "unix:" + socket)
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                if (selector.select(Duration.ofMinutes(1).toMillis()) == 0) {
                    p.destroyForcibly();
                    fail("qemu did not connect to its QMP socket: " + Files.readString(log));
                }
                SocketChannel ch = listener.accept();
                ch.configureBlocking(true);
                Qmp qmp = new Qmp(ch);
                qmp.greeting();
                qmp.execute("qmp_capabilities", Map.of());
                return new Qemu(p, log, qmp);
            } finally {
                Files.deleteIfExists(socket);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                qmp.execute("quit", Map.of());
            } catch (IOException e) {
                // already gone
            }
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            qmp.close();
        }
    }

    /** A minimal QMP client: one JSON object a line each way; events seen while waiting are kept. */
    static final class Qmp implements Closeable {
        private final SocketChannel channel;
        private final BufferedReader in;
        private final Writer out;
        private final JsonMapper json = JsonMapper.builder().build();
        private final List<JsonNode> events = new ArrayList<>();

        Qmp(SocketChannel channel) {
            this.channel = channel;
            this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            this.out = new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8);
        }

        void greeting() throws IOException {
            JsonNode g = next();
            if (!g.has("QMP")) {
                throw new IOException("not a QMP greeting: " + g);
            }
        }

        private JsonNode next() throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new EOFException("QMP connection closed");
            }
            return json.readTree(line);
        }

        /** Runs a command; its {@code return}, or an AssertionError with QEMU's error. */
        JsonNode execute(String command, Map<String, ?> arguments) throws IOException {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("execute", command);
            if (!arguments.isEmpty()) {
                request.put("arguments", arguments);
            }
            out.write(json.writeValueAsString(request) + "\n");
            out.flush();
            while (true) {
                JsonNode m = next();
                if (m.has("event")) {
                    events.add(m);
                } else if (m.has("error")) {
                    throw new AssertionError(command + " failed: " + m.get("error"));
                } else if (m.has("return")) {
                    return m.get("return");
                }
            }
        }

        /** The first event named {@code name}, seen already or to come. */
        JsonNode awaitEvent(String name) throws IOException {
            for (Iterator<JsonNode> it = events.iterator(); it.hasNext(); ) {
                JsonNode e = it.next();
                if (name.equals(e.get("event").asString())) {
                    it.remove();
                    return e;
                }
            }
            while (true) {
                JsonNode m = next();
                if (m.has("event") && name.equals(m.get("event").asString())) {
                    return m;
                }
                if (m.has("event")) {
                    events.add(m);
                }
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
