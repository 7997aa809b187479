package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Block status end to end: a {@link VirtualDisk} of a generated image whose pieces are mostly zero,
 * served over NBD to real clients (libnbd's nbdinfo and nbdcopy, qemu-img, qemu-io). nbdinfo's map
 * lists exactly the manifest's zero pieces, qemu-img map agrees, writes and trims through qemu-io
 * change the map, bootswarm:present shows which pieces are on the host, and the export copies and
 * compares byte-exact with clients that skip the holes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdBlockStatusIT {

    static final int PIECE = 256 * 1024;
    static final int PIECES = 48;
    static final int HOLE_ZERO = 3;

    Path dir;
    byte[] image;
    Path original;
    Manifest manifest;
    final List<AutoCloseable> resources = new ArrayList<>();
    NbdServer server;

    /** Data pieces: every fifth and piece 7; the other 37 of 48 (77 %) are zero. */
    static boolean isData(int piece) {
        return piece % 5 == 0 || piece == 7;
    }

    @BeforeAll
    void setUp(@TempDir Path tempDir) throws Exception {
        ExternalTools.require("nbdinfo", "nbdcopy", "qemu-img", "qemu-io");
        dir = tempDir;
        image = new byte[PIECES * PIECE];
        Random rnd = new Random(12);
        for (int p = 0; p < PIECES; p++) {
            if (isData(p)) {
                byte[] piece = new byte[PIECE];
                rnd.nextBytes(piece);
                System.arraycopy(piece, 0, image, p * PIECE, PIECE);
            }
        }
        original = dir.resolve("original.raw");
        Files.write(original, image);
        manifest = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), "block-status");
        assertThat(manifest.zeroCount()).isEqualTo(37);

        PieceStore full = store("full");
        for (int p = 0; p < PIECES; p++) {
            if (!manifest.isZero(p)) {
                put(full, p);
            }
        }
        PieceStore cold = store("cold");
        put(cold, 5);
        put(cold, 7);

        ExportRegistry exports = new ExportRegistry();
        exports.put("pristine", disk(full, "pristine"));
        exports.put("scratch", disk(full, "scratch"));
        exports.put("cold", disk(cold, "cold"));
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports, new SimpleMeterRegistry()).start();
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

    /** A disk on {@code store} that fails a read of a piece the store lacks (no test here reads one). */
    VirtualDisk disk(PieceStore store, String name) throws IOException {
        VirtualDisk d = VirtualDisk.open(manifest, store, piece -> {
            throw new IOException("piece " + piece + " is not on this host");
        }, dir.resolve("overlay-" + name), VirtualDisk.AccessListener.NONE);
        resources.add(d);
        return d;
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + server.tcpPort() + "/" + export;
    }

    static String run(String... command) throws Exception {
        ExternalTools.Result r = ExternalTools.run(List.of(command), 300);
        assertThat(r.exitCode()).as("%s%n%s", String.join(" ", command), r.output()).isZero();
        return r.output();
    }

    record Span(long offset, long length, int flags) {
    }

    /** Merged spans of {@code flags(piece)} over the whole image. */
    List<Span> perPiece(java.util.function.IntUnaryOperator flags) {
        List<Span> out = new ArrayList<>();
        for (int p = 0; p < PIECES; p++) {
            add(out, (long) p * PIECE, PIECE, flags.applyAsInt(p));
        }
        return out;
    }

    static void add(List<Span> spans, long offset, long length, int flags) {
        if (!spans.isEmpty() && spans.getLast().flags() == flags
                && spans.getLast().offset() + spans.getLast().length() == offset) {
            Span last = spans.removeLast();
            spans.add(new Span(last.offset(), last.length() + length, flags));
        } else {
            spans.add(new Span(offset, length, flags));
        }
    }

    /** Lines of {@code nbdinfo --map}: offset, length, type, description; merged. */
    static List<Span> nbdinfoMap(String output) {
        List<Span> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)").matcher(output);
        while (m.find()) {
            add(out, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)));
        }
        return out;
    }

    List<Span> baseAllocation() {
        return perPiece(p -> manifest.isZero(p) ? HOLE_ZERO : 0);
    }

    @Test
    void nbdinfoMapListsExactlyTheManifestsZeroPieces() throws Exception {
        String out = run("nbdinfo", "--map", uri("pristine"));
        assertThat(nbdinfoMap(out)).as(out).isEqualTo(baseAllocation());
        assertThat(out).contains("hole,zero", "data");
        long zeroBytes = nbdinfoMap(out).stream().filter(s -> s.flags() == HOLE_ZERO).mapToLong(Span::length).sum();
        assertThat(zeroBytes).isEqualTo((long) manifest.zeroCount() * PIECE);
    }

    @Test
    void nbdinfoMapOfBootswarmPresentShowsThePiecesOnTheHost() throws Exception {
        String out = run("nbdinfo", "--map=bootswarm:present", uri("cold"));
        // pieces 5 and 7 stored, zero pieces need nothing; data pieces 0, 10, 15, ... are missing
        assertThat(nbdinfoMap(out)).as(out).isEqualTo(perPiece(p -> !isData(p) || p == 5 || p == 7 ? 1 : 0));
        String warm = run("nbdinfo", "--map=bootswarm:present", uri("pristine"));
        assertThat(nbdinfoMap(warm)).as(warm).containsExactly(new Span(0, (long) PIECES * PIECE, 1));
    }

    @Test
    void qemuImgMapAgreesWithTheManifest() throws Exception {
        String json = run("qemu-img", "map", "--output=json", "-f", "raw", uri("pristine"));
        List<Span> spans = new ArrayList<>();
        Matcher m = Pattern.compile("\"start\":\\s*(\\d+),\\s*\"length\":\\s*(\\d+),[^}]*\"zero\":\\s*(true|false),"
                + "\\s*\"data\":\\s*(true|false)").matcher(json);
        while (m.find()) {
            boolean zero = Boolean.parseBoolean(m.group(3));
            boolean data = Boolean.parseBoolean(m.group(4));
            add(spans, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), zero && !data ? HOLE_ZERO
                    : !zero && data ? 0 : -1);
        }
        assertThat(spans).as(json).isEqualTo(baseAllocation());
    }

    @Test
    void qemuImgCompareAndNbdcopyWithDefaultsAreByteExact() throws Exception {
        String compare = run("qemu-img", "compare", "-f", "raw", "-F", "raw", original.toString(), uri("pristine"));
        assertThat(compare).contains("Images are identical");
        Path copy = dir.resolve("copy.raw");
        run("nbdcopy", uri("pristine"), copy.toString());
        assertThat(Files.readAllBytes(copy)).isEqualTo(image);
        Path converted = dir.resolve("converted.raw");
        run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri("pristine"), converted.toString());
        assertThat(Files.readAllBytes(converted)).isEqualTo(image);
    }

    @Test
    void writesZeroWritesAndTrimsThroughQemuIoChangeTheMap() throws Exception {
        long zeroPiece = PIECE; // piece 1
        run("qemu-io", "-f", "raw", "-c", "write -P 0xab " + zeroPiece + " 4096", uri("scratch"));
        List<Span> written = new ArrayList<>();
        add(written, 0, PIECE, 0);
        add(written, PIECE, 4096, 0);
        add(written, PIECE + 4096, 4L * PIECE - 4096, HOLE_ZERO); // pieces 1 to 4 are zero
        assertThat(map("scratch", 0, 5L * PIECE)).isEqualTo(written);

        run("qemu-io", "-f", "raw", "-c", "write -z 8192 16384", uri("scratch")); // inside data piece 0
        List<Span> zeroed = new ArrayList<>();
        add(zeroed, 0, 8192, 0);
        add(zeroed, 8192, 16384, HOLE_ZERO);
        add(zeroed, 24576, PIECE - 24576 + 4096, 0);
        add(zeroed, PIECE + 4096, 4L * PIECE - 4096, HOLE_ZERO);
        assertThat(map("scratch", 0, 5L * PIECE)).isEqualTo(zeroed);

        run("qemu-io", "-f", "raw", "-c", "discard " + zeroPiece + " 4096", uri("scratch"));
        List<Span> trimmed = new ArrayList<>();
        add(trimmed, 0, 8192, 0);
        add(trimmed, 8192, 16384, HOLE_ZERO);
        add(trimmed, 24576, PIECE - 24576, 0);
        add(trimmed, PIECE, 4L * PIECE, HOLE_ZERO);
        assertThat(map("scratch", 0, 5L * PIECE)).isEqualTo(trimmed);

        String read = run("qemu-io", "-f", "raw", "-r", "-c", "read -P 0 8192 16384", "-c",
                "read -P 0 " + zeroPiece + " 4096", uri("scratch"));
        assertThat(read).doesNotContain("Pattern verification failed");
        // the rest of the disk is untouched
        assertThat(map("scratch", 5L * PIECE, (PIECES - 5L) * PIECE))
                .isEqualTo(baseAllocation().stream().filter(s -> s.offset() >= 5L * PIECE).toList());
    }

    /** nbdinfo's base:allocation map of {@code [offset, offset+length)} (nbdinfo --map takes no range: cut it here). */
    List<Span> map(String export, long offset, long length) throws Exception {
        List<Span> out = new ArrayList<>();
        for (Span s : nbdinfoMap(run("nbdinfo", "--map", uri(export)))) {
            long from = Math.max(offset, s.offset());
            long to = Math.min(offset + length, s.offset() + s.length());
            if (from < to) {
                add(out, from, to - from, s.flags());
            }
        }
        return out;
    }
}
