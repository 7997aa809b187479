package io.bootswarm.bench.trace;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Synthetic VM runs with the features VMTorrent §2.2.2 names, seeded and deterministic:
 * <ul>
 *   <li><b>sparsity</b>: only a share of the image is ever read, in contiguous extents (files) of
 *       a few pieces scattered over the image;</li>
 *   <li><b>bursty rate</b>: the extents are read in bursts of back-to-back reads (short think times)
 *       separated by long idle gaps;</li>
 *   <li><b>run-to-run variation</b>: run {@code k > 0} of the same workload drops some extents, adds
 *       others, swaps some neighbours in the order and jitters the think times.</li>
 * </ul>
 * Run 0 is the base run; runs 1, 2, … are its variations ({@link #run(int)}), as a profile's
 * sample runs and a measured run would differ.
 *
 * @param imageSize      bytes of the raw image
 * @param pieceSize      bytes per piece (extents are whole pieces)
 * @param sparsity       share of the image's pieces a run touches, (0, 1]
 * @param coverage       share of a touched extent's bytes that are read, (0, 1]
 * @param meanExtent     mean extent length in pieces (geometric)
 * @param bursts         bursts per run
 * @param seconds        the run's length (memory-cached), seconds
 * @param burstThinkMs   mean think time between reads within a burst, ms
 * @param maxRead        largest read, bytes (reads are 4 KiB multiples)
 * @param dropShare      share of extents a variation drops
 * @param addShare       extents a variation adds, as a share of the base's
 * @param reorderShare   share of neighbouring extents a variation swaps
 * @param seed           the workload (the base run and all its variations)
 */
public record SyntheticTrace(long imageSize, int pieceSize, double sparsity, double coverage, double meanExtent,
                             int bursts, double seconds, double burstThinkMs, int maxRead, double dropShare,
                             double addShare, double reorderShare, long seed) {

    private static final int PAGE = 4096;

    public SyntheticTrace {
        if (imageSize <= 0 || pieceSize <= 0 || pieceSize % PAGE != 0 || !(sparsity > 0 && sparsity <= 1)
                || !(coverage > 0 && coverage <= 1) || meanExtent < 1 || bursts < 1 || !(seconds > 0)
                || burstThinkMs < 0 || maxRead < PAGE || dropShare < 0 || dropShare >= 1 || addShare < 0
                || reorderShare < 0 || reorderShare > 1) {
            throw new IllegalArgumentException("synthetic trace parameters out of range");
        }
    }

    /**
     * A boot-and-workload run like the paper's Ubuntu/Fedora ones (Table 2): a 4 GiB image of which
     * 8 % is read in 12 bursts over 60 s; variations drop and add 5 % of the extents and swap 10 %.
     */
    public static SyntheticTrace paperLike(long seed) {
        return new SyntheticTrace(4L << 30, 256 * 1024, 0.08, 0.9, 6, 12, 60, 0.3, 128 * 1024, 0.05, 0.05, 0.10,
                seed);
    }

    /**
     * A heavier workload than {@link #paperLike}: a boot followed by reads of many small files — a 4 GiB image of which
     * 9.5 % (about 1,540 pieces, 385 MiB) is touched in 24 bursts of short extents over 66 s, in reads of at most 92 KiB
     * (about 7,700 of them); the same variations as {@code paperLike}.
     */
    public static SyntheticTrace heavy(long seed) {
        return new SyntheticTrace(4L << 30, 256 * 1024, 0.095, 0.9, 3, 24, 66, 0.3, 92 * 1024, 0.05, 0.05, 0.10, seed);
    }

    /** A small one for tests: {@code imageSize} bytes, 25 % read in 4 bursts over {@code seconds}. */
    public static SyntheticTrace small(long imageSize, int pieceSize, double seconds, long seed) {
        return new SyntheticTrace(imageSize, pieceSize, 0.25, 0.8, 3, 4, seconds, 0.5, 64 * 1024, 0.05, 0.05, 0.1,
                seed);
    }

    /** A touched extent: pieces {@code [start, start + length)}, read in burst {@code burst}. */
    private record Extent(int start, int length, int burst) {
    }

    private int pieceCount() {
        return (int) ((imageSize + pieceSize - 1) / pieceSize);
    }

    /** The base run's extents, in read order. */
    private List<Extent> baseExtents() {
        Random r = new Random(seed);
        int pieces = pieceCount();
        int target = Math.max(1, (int) Math.round(sparsity * pieces));
        BitSet used = new BitSet(pieces);
        List<Extent> out = new ArrayList<>();
        int touched = 0;
        while (touched < target) {
            Extent e = newExtent(r, used, Math.min(target - touched, geometric(r, meanExtent)), bursts);
            if (e == null) {
                break;
            }
            out.add(e);
            touched += e.length();
        }
        // read order: by burst, extents of a burst in random order (the generation order is random)
        out.sort((a, b) -> Integer.compare(a.burst(), b.burst()));
        return out;
    }

    private Extent newExtent(Random r, BitSet used, int length, int burstCount) {
        int pieces = pieceCount();
        for (int attempt = 0; attempt < 100; attempt++) {
            int len = Math.min(length, pieces);
            int start = r.nextInt(pieces - len + 1);
            if (used.get(start, start + len).isEmpty()) {
                used.set(start, start + len);
                // earlier bursts read more: boot reads the most (VMTorrent Figs. 5–7)
                int burst = (int) Math.min(burstCount - 1, Math.floor(burstCount * Math.pow(r.nextDouble(), 1.5)));
                return new Extent(start, len, burst);
            }
        }
        return null;
    }

    private static int geometric(Random r, double mean) {
        double p = 1 / mean;
        return 1 + (int) Math.floor(Math.log(1 - r.nextDouble()) / Math.log(1 - p));
    }

    /** The base run (0) or a variation of it (1, 2, …). */
    public Trace run(int run) {
        if (run < 0) {
            throw new IllegalArgumentException("run must be 0 or more");
        }
        List<Extent> extents = new ArrayList<>(baseExtents());
        Random r = new Random(seed * 1_000_003L + run);
        if (run > 0) {
            BitSet used = new BitSet(pieceCount());
            extents.forEach(e -> used.set(e.start(), e.start() + e.length()));
            int base = extents.size();
            extents.removeIf(e -> r.nextDouble() < dropShare);
            int adds = (int) Math.round(addShare * base);
            for (int i = 0; i < adds; i++) {
                Extent e = newExtent(r, used, geometric(r, meanExtent), bursts);
                if (e != null) {
                    // inserted where its burst's extents are
                    int at = 0;
                    while (at < extents.size() && extents.get(at).burst() <= e.burst()) {
                        at++;
                    }
                    extents.add(at, e);
                }
            }
            for (int i = 0; i + 1 < extents.size(); i++) {
                if (r.nextDouble() < reorderShare) {
                    Extent a = extents.get(i);
                    Extent b = extents.get(i + 1);
                    extents.set(i, new Extent(b.start(), b.length(), a.burst()));
                    extents.set(i + 1, new Extent(a.start(), a.length(), b.burst()));
                }
            }
        }
        return render(extents, r, run);
    }

    /** Reads of the extents, timed: bursts of short think times, the rest of the run's time in the gaps. */
    private Trace render(List<Extent> extents, Random r, int run) {
        List<long[]> reads = new ArrayList<>(); // offset, length, burst
        for (Extent e : extents) {
            long from = (long) e.start() * pieceSize;
            long bytes = (long) Math.ceil((long) e.length() * pieceSize * coverage / PAGE) * PAGE;
            long end = Math.min(imageSize, from + bytes);
            for (long at = from; at < end; ) {
                int len = (int) Math.min(end - at, (1 + r.nextInt(maxRead / PAGE)) * (long) PAGE);
                reads.add(new long[]{at, len, e.burst()});
                at += len;
            }
        }
        // think times within bursts: exponential, mean burstThinkMs; the rest of the run between bursts
        double[] think = new double[reads.size()];
        double inBursts = 0;
        for (int i = 1; i < think.length; i++) {
            if (reads.get(i)[2] == reads.get(i - 1)[2]) {
                think[i] = -Math.log(1 - r.nextDouble()) * burstThinkMs / 1000;
                inBursts += think[i];
            }
        }
        int gaps = 0;
        for (int i = 1; i < think.length; i++) {
            if (reads.get(i)[2] != reads.get(i - 1)[2]) {
                gaps++;
            }
        }
        double idle = Math.max(0, seconds - inBursts);
        // the idle time split over the gaps between bursts (and one before the first), in random shares
        double[] shares = new double[gaps + 1];
        double sum = 0;
        for (int i = 0; i < shares.length; i++) {
            shares[i] = 0.5 + r.nextDouble();
            sum += shares[i];
        }
        List<Read> out = new ArrayList<>(reads.size());
        double t = idle * shares[0] / sum * 0.3; // a short start: the VM reads its boot sector early
        int gap = 1;
        for (int i = 0; i < reads.size(); i++) {
            if (i > 0) {
                if (reads.get(i)[2] != reads.get(i - 1)[2]) {
                    t += idle * shares[gap++] / sum + idle * shares[0] / sum * 0.7 / Math.max(1, gaps);
                } else {
                    t += think[i];
                }
            }
            out.add(new Read(Math.round(t * 1e6), reads.get(i)[0], (int) reads.get(i)[1]));
        }
        return new Trace(String.format(Locale.ROOT, "synthetic-%d-run%d", seed, run), imageSize, out);
    }
}
