package io.bootswarm.common.manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PieceSetTest {

    @Test
    void bitfieldUsesBep3Layout() {
        PieceSet s = new PieceSet(10);
        s.add(0);
        s.add(7);
        s.add(9);
        // piece 0 = high bit of byte 0, piece 7 = low bit of byte 0, piece 9 = second-highest bit of byte 1
        assertThat(s.toBitfield()).containsExactly(0x81, 0x40);
        assertThat(PieceSet.bitfieldLength(0)).isZero();
        assertThat(PieceSet.bitfieldLength(1)).isEqualTo(1);
        assertThat(PieceSet.bitfieldLength(8)).isEqualTo(1);
        assertThat(PieceSet.bitfieldLength(9)).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 1000, 16384})
    void bitfieldRoundTripsAgainstIndependentEncoding(int size) {
        Random rnd = new Random(size);
        BitSet expected = new BitSet(size);
        PieceSet s = new PieceSet(size);
        for (int i = 0; i < size; i++) {
            if (rnd.nextInt(3) == 0) {
                expected.set(i);
                assertThat(s.add(i)).isTrue();
                assertThat(s.add(i)).isFalse();
            }
        }
        byte[] independent = new byte[(size + 7) / 8];
        expected.stream().forEach(i -> independent[i / 8] |= (byte) (1 << (7 - i % 8)));
        assertThat(s.toBitfield()).isEqualTo(independent);
        assertThat(s.cardinality()).isEqualTo(expected.cardinality());

        PieceSet back = PieceSet.fromBitfield(independent, size);
        assertThat(back.size()).isEqualTo(size);
        assertThat(back.toBitfield()).isEqualTo(independent);
        for (int i = 0; i < size; i++) {
            assertThat(back.contains(i)).isEqualTo(expected.get(i));
        }
        List<Integer> order = new ArrayList<>();
        back.forEach(order::add);
        assertThat(order).isSorted().hasSize(expected.cardinality());
    }

    @Test
    void everySpareBitIsRejected() {
        for (int size = 1; size < 24; size++) {
            int bytes = PieceSet.bitfieldLength(size);
            for (int spare = size; spare < bytes * 8; spare++) {
                byte[] bits = new byte[bytes];
                bits[spare >>> 3] |= (byte) (0x80 >>> (spare & 7));
                int s = size;
                assertThatThrownBy(() -> PieceSet.fromBitfield(bits, s))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spare bit");
            }
        }
    }

    @Test
    void wrongBitfieldLengthIsRejected() {
        assertThatThrownBy(() -> PieceSet.fromBitfield(new byte[1], 9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PieceSet.fromBitfield(new byte[3], 9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PieceSet.fromBitfield(new byte[1], 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(PieceSet.fromBitfield(new byte[0], 0).size()).isZero();
    }

    @Test
    void indexesOutsideTheSetAreRejected() {
        PieceSet s = new PieceSet(64);
        assertThatThrownBy(() -> s.add(64)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> s.add(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> s.contains(64)).isInstanceOf(IndexOutOfBoundsException.class);
        // 64 would alias bit 0 of word 0 if unchecked (Java shifts mod 64)
        assertThat(s.cardinality()).isZero();
        assertThatThrownBy(() -> new PieceSet(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fullAndComplete() {
        PieceSet f = PieceSet.full(70);
        assertThat(f.isComplete()).isTrue();
        assertThat(f.cardinality()).isEqualTo(70);
        assertThat(f.toBitfield()).containsExactly(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc);
        PieceSet partial = new PieceSet(3);
        partial.add(1);
        assertThat(partial.isComplete()).isFalse();
        assertThat(PieceSet.full(0).isComplete()).isTrue();
    }

    @Test
    void concurrentAddsLoseNothingAndEachIndexIsNewExactlyOnce() throws Exception {
        int size = 4096 + 17;
        int threads = 8;
        for (int round = 0; round < 20; round++) {
            PieceSet s = new PieceSet(size);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < size; i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(round * 100L + t));
                    results.add(pool.submit(() -> {
                        start.await();
                        int added = 0;
                        for (int i : order) {
                            if (s.add(i)) {
                                added++;
                            }
                        }
                        return added;
                    }));
                }
                start.countDown();
                int total = 0;
                for (Future<Integer> f : results) {
                    total += f.get(30, TimeUnit.SECONDS);
                }
                assertThat(total).isEqualTo(size);
            }
            assertThat(s.cardinality()).isEqualTo(size);
            assertThat(s.isComplete()).isTrue();
        }
    }
}
