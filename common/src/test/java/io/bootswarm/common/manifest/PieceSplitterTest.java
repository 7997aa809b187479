package io.bootswarm.common.manifest;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSplitter.ImageTooLargeException;
import io.bootswarm.common.manifest.PieceSplitter.Split;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PieceSplitterTest {

    private static final int PIECE = 16 * 1024;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] digest(String algorithm, byte[] data, int from, int to) throws Exception {
        MessageDigest md = MessageDigest.getInstance(algorithm);
        md.update(data, from, to - from);
        return md.digest();
    }

    /** Delivers at most {@code chunk} bytes per read, as a socket would. */
    private static InputStream trickle(byte[] data, int chunk) {
        return new FilterInputStream(new ByteArrayInputStream(data)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    private static void assertHashesMatchIndependentDigests(Split split, byte[] data, int pieceSize) throws Exception {
        int count = (data.length + pieceSize - 1) / pieceSize;
        assertThat(split.pieceCount()).isEqualTo(count);
        assertThat(split.size()).isEqualTo(data.length);
        assertThat(split.sha1()).hasSize(count * 20);
        for (int i = 0; i < count; i++) {
            int from = i * pieceSize;
            int to = Math.min(data.length, from + pieceSize);
            assertThat(split.sha256()[i].toBytes()).as("sha256 of piece %d", i)
                    .isEqualTo(digest("SHA-256", data, from, to));
            assertThat(Arrays.copyOfRange(split.sha1(), i * 20, i * 20 + 20)).as("sha1 of piece %d", i)
                    .isEqualTo(digest("SHA-1", data, from, to));
        }
    }

    @Test
    void hashesEqualIndependentDigestsOfEveryPieceIncludingAPartialLastOne() throws Exception {
        byte[] data = random(5 * PIECE + 1234, 1);
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE).split(trickle(data, 1000), null, null);
        assertHashesMatchIndependentDigests(split, data, PIECE);
        assertThat(split.pieceSize()).isEqualTo(PIECE);
        assertThat(split.zero().cardinality()).isZero();
    }

    @Test
    void exactMultipleOfThePieceSizeHasNoExtraPiece() throws Exception {
        byte[] data = random(4 * PIECE, 2);
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(data), null, null);
        assertHashesMatchIndependentDigests(split, data, PIECE);
        assertThat(split.pieceCount()).isEqualTo(4);
    }

    @Test
    void tinyAndEmptyImages() throws Exception {
        byte[] one = {42};
        Split s1 = new PieceSplitter(PIECE, 10).split(new ByteArrayInputStream(one), null, null);
        assertHashesMatchIndependentDigests(s1, one, PIECE);
        Split empty = new PieceSplitter(PIECE, 10).split(new ByteArrayInputStream(new byte[0]), null, null);
        assertThat(empty.size()).isZero();
        assertThat(empty.pieceCount()).isZero();
        assertThat(empty.sha1()).isEmpty();
    }

    @Test
    void defaultPieceSizeWithMultiMegabyteImage() throws Exception {
        byte[] data = random(3 * Manifest.DEFAULT_PIECE_SIZE + 100_000, 3);
        Split split = new PieceSplitter(Manifest.DEFAULT_PIECE_SIZE, Long.MAX_VALUE)
                .split(trickle(data, 65536), null, null);
        assertHashesMatchIndependentDigests(split, data, Manifest.DEFAULT_PIECE_SIZE);
    }

    @Test
    void zeroDetection() throws Exception {
        // pieces: 0 all zero, 1 random, 2 zero but first byte, 3 zero but a middle byte,
        // 4 zero but last byte, 5 all zero, 6 zero but one byte in the second half,
        // 7 partial and all zero
        byte[] data = new byte[7 * PIECE + 777];
        System.arraycopy(random(PIECE, 4), 0, data, PIECE, PIECE);
        data[2 * PIECE] = 1;
        data[3 * PIECE + PIECE / 2] = (byte) 0x80;
        data[5 * PIECE - 1] = 1;
        data[6 * PIECE + PIECE - 100] = 1;
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE).split(trickle(data, 5000), null, null);
        assertHashesMatchIndependentDigests(split, data, PIECE);
        List<Integer> zeros = new ArrayList<>();
        split.zero().forEach(zeros::add);
        assertThat(zeros).containsExactly(0, 5, 7);
        assertThat(split.zero().size()).isEqualTo(8);
    }

    @Test
    void isZeroChecksEveryByteOfLargeBuffers() {
        int len = 64 * 1024 * 1024;
        byte[] buf = new byte[len];
        assertThat(PieceSplitter.isZero(buf, len)).isTrue();
        for (int at : new int[]{0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, len / 2, len - 2, len - 1}) {
            buf[at] = 1;
            assertThat(PieceSplitter.isZero(buf, len)).as("non-zero byte at %d", at).isFalse();
            assertThat(PieceSplitter.isZero(buf, at)).as("prefix before %d", at).isTrue();
            buf[at] = 0;
        }
        assertThat(PieceSplitter.isZero(buf, 0)).isTrue();
    }

    @Test
    void largestPieceSizeWorksAndZeroDetectionCoversAllOfIt() throws Exception {
        int size = 64 * 1024 * 1024;
        byte[] data = new byte[size + 10];
        data[size - 1] = 7;
        Split split = new PieceSplitter(size, Long.MAX_VALUE).split(new ByteArrayInputStream(data), null, null);
        assertThat(split.pieceCount()).isEqualTo(2);
        assertThat(split.zero().contains(0)).isFalse();
        assertThat(split.zero().contains(1)).isTrue();
    }

    @Test
    void sinkReceivesExactlyTheBytesRead() throws Exception {
        byte[] data = random(9 * PIECE + 5, 5);
        Arrays.fill(data, PIECE, 3 * PIECE, (byte) 0);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE)
                .split(trickle(data, 777), Channels.newChannel(sink), null);
        assertThat(sink.toByteArray()).isEqualTo(data);
        assertThat(split.size()).isEqualTo(data.length);
    }

    @Test
    void sinkThatTakesFewBytesPerWriteStillGetsEverything() throws Exception {
        byte[] data = random(3 * PIECE + 99, 6);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        var slow = new java.nio.channels.WritableByteChannel() {
            @Override
            public int write(java.nio.ByteBuffer src) {
                int n = Math.min(src.remaining(), 1000);
                byte[] b = new byte[n];
                src.get(b);
                sink.writeBytes(b);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(data), slow, null);
        assertThat(sink.toByteArray()).isEqualTo(data);
    }

    @Test
    void progressIsReportedAfterEveryPiece() throws Exception {
        byte[] data = random(3 * PIECE + 10, 7);
        List<Long> progress = new ArrayList<>();
        new PieceSplitter(PIECE, Long.MAX_VALUE).split(trickle(data, 999), null, progress::add);
        assertThat(progress).containsExactly((long) PIECE, 2L * PIECE, 3L * PIECE, 3L * PIECE + 10);
    }

    @Test
    void maxSizeIsEnforced() throws Exception {
        byte[] data = random(3 * PIECE, 8);
        // exactly at the limit is fine
        assertThat(new PieceSplitter(PIECE, data.length).split(new ByteArrayInputStream(data), null, null).size())
                .isEqualTo(data.length);
        // one byte over is not, and the sink never sees the piece that crossed the limit
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new PieceSplitter(PIECE, data.length - 1)
                .split(new ByteArrayInputStream(data), Channels.newChannel(sink), null))
                .isInstanceOf(ImageTooLargeException.class)
                .satisfies(e -> assertThat(((ImageTooLargeException) e).limit()).isEqualTo(data.length - 1));
        assertThat(sink.size()).isLessThanOrEqualTo(data.length - 1);
        // a huge stream is refused after at most one piece past the limit, not read to its end
        long[] read = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                read[0]++;
                return 1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 1);
                read[0] += len;
                return len;
            }
        };
        assertThatThrownBy(() -> new PieceSplitter(PIECE, 10L * PIECE).split(endless, null, null))
                .isInstanceOf(ImageTooLargeException.class);
        assertThat(read[0]).isLessThanOrEqualTo(11L * PIECE);
    }

    @Test
    void badPieceSizesAreRejected() {
        assertThatThrownBy(() -> new PieceSplitter(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PieceSplitter(1000, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PieceSplitter(128 * 1024 * 1024, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PieceSplitter(-16384, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void infoDictionaryIsTheBep3SingleFileForm() throws Exception {
        byte[] data = random(2 * PIECE + 3, 9);
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(data), null, null);
        byte[] encoded = Bencode.encode(split.infoDictionary("disk.img"));
        String prefix = "d6:lengthi" + data.length + "e4:name8:disk.img12:piece lengthi16384e6:pieces60:";
        assertThat(new String(encoded, 0, prefix.length(), java.nio.charset.StandardCharsets.ISO_8859_1))
                .isEqualTo(prefix);
        assertThat(Arrays.copyOfRange(encoded, prefix.length(), prefix.length() + 60)).isEqualTo(split.sha1());
        assertThat(encoded).hasSize(prefix.length() + 60 + 1);
        assertThat(split.swarmId("disk.img").toBytes())
                .isEqualTo(MessageDigest.getInstance("SHA-1").digest(encoded));
        assertThat(split.swarmId("disk.img")).isNotEqualTo(split.swarmId("other.img"));
        Map<String, Object> info = split.infoDictionary("x");
        assertThat(info).containsOnlyKeys("length", "name", "piece length", "pieces");
    }

    @Test
    void manifestFromSplit() throws Exception {
        byte[] data = random(3 * PIECE + 1, 10);
        Arrays.fill(data, 0, PIECE, (byte) 0);
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(data), null, null);
        UUID id = UUID.randomUUID();
        Manifest m = split.manifest(id, "img");
        assertThat(m.imageId()).isEqualTo(id);
        assertThat(m.pieceCount()).isEqualTo(4);
        assertThat(m.size()).isEqualTo(data.length);
        assertThat(m.swarmId()).isEqualTo(split.swarmId("img"));
        assertThat(m.isZero(0)).isTrue();
        assertThat(m.zeroCount()).isEqualTo(1);
        assertThat(m.nonZeroBytes()).isEqualTo(2L * PIECE + 1);
        assertThat(m.hash(3).toBytes()).isEqualTo(digest("SHA-256", data, 3 * PIECE, data.length));
        // the split's arrays are copied: changing the split afterwards does not change the manifest
        split.sha256()[0] = split.sha256()[1];
        split.zero().add(2);
        assertThat(m.hash(0)).isNotEqualTo(m.hash(1));
        assertThat(m.isZero(2)).isFalse();
    }
}
