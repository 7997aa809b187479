package io.bootswarm.bench.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The reads a VM makes of its disk image, in time order, as the hypervisor issues them: what the
 * harness's replayer and the simulator play back. The gap between two reads' times is the VM's
 * <em>think time</em>: in a replay a read is issued that long after the previous one completed, so
 * a stalled read delays every later one (a VM blocked on its disk does not think ahead).
 *
 * <p>M(t), the playback of a memory-cached run (every read served at once), is
 * {@link #memoryPlayback()}: the bytes of the reads issued by t.
 *
 * @param name      for reports
 * @param imageSize bytes of the raw image the reads are on
 * @param reads     by time (ties keep the trace's order)
 */
public record Trace(String name, long imageSize, List<Read> reads) {

    public Trace {
        reads = reads.stream().sorted(Comparator.comparingLong(Read::micros)).toList();
        for (Read r : reads) {
            if (r.end() > imageSize) {
                throw new IllegalArgumentException("read [" + r.offset() + ", " + r.end() + ") ends beyond the image's "
                        + imageSize + " bytes");
            }
        }
        if (reads.isEmpty()) {
            throw new IllegalArgumentException("a trace needs at least one read");
        }
    }

    /**
     * Loads a trace in the CSV form of {@code shared/traces} ({@code time_s,op,offset,length}; only
     * READs are kept, WRITEs and FLUSHes go to the guest's overlay and never to the network).
     *
     * @param imageSize the image's size; 0 or less for the end of the farthest read, rounded up to 1 MiB
     */
    public static Trace load(Path csv, long imageSize) throws IOException {
        return parse(csv.getFileName().toString(), Files.readAllLines(csv), imageSize);
    }

    private static Trace parse(String file, List<String> lines, long imageSize) throws IOException {
        if (lines.isEmpty() || !lines.getFirst().strip().replace("\uFEFF", "").equals("time_s,op,offset,length")) {
            throw new IOException(file + ": expected the header time_s,op,offset,length");
        }
        List<Read> reads = new ArrayList<>();
        long farthest = 0;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length != 4) {
                throw new IOException(file + " line " + (i + 1) + ": expected 4 fields");
            }
            if (!f[1].strip().equals("READ")) {
                continue;
            }
            try {
                long micros = Math.round(Double.parseDouble(f[0].strip()) * 1e6);
                Read r = new Read(micros, Long.parseLong(f[2].strip()), Integer.parseInt(f[3].strip()));
                reads.add(r);
                farthest = Math.max(farthest, r.end());
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        long size = imageSize > 0 ? imageSize : (farthest + (1 << 20) - 1) / (1 << 20) * (1 << 20);
        String name = file.replaceFirst("\\.csv$", "");
        return new Trace(name, size, reads);
    }

    /**
     * A trace of {@code shared/traces} ({@code ../shared/traces/NAME} from the repository's root),
     * looked up from the working directory and its parents, so that it is found from the
     * repository's root and from a module's directory alike.
     */
    public static Path shared(String name) throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path p = d.resolve("shared").resolve("traces").resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new FileNotFoundInTree("no shared/traces/" + name + " in " + dir + " or a parent directory");
    }

    /**
     * The real Debian 12 boot trace: 4 GiB image, 1,012 reads over 43 s. From {@code shared/traces}
     * when the repository sits beside it, else the copy packaged with the lab ({@code /traces/}), so
     * that a clone elsewhere (CI) and {@code lab.jar} run anywhere have it too.
     */
    public static Trace debianBoot() throws IOException {
        try {
            return load(shared("debian12-boot.csv"), 4L << 30);
        } catch (FileNotFoundInTree e) {
            try (InputStream in = Trace.class.getResourceAsStream("/traces/debian12-boot.csv")) {
                if (in == null) {
                    throw new IOException(e.getMessage() + ", and no packaged copy");
                }
                return parse("debian12-boot.csv", new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList(), 4L << 30);
            }
        }
    }

    /** A trace of {@code shared/traces} is not in the working directory nor any parent. */
    static final class FileNotFoundInTree extends IOException {
        FileNotFoundInTree(String message) {
            super(message);
        }
    }

    /** Writes the trace in the CSV form it is loaded from (READs only). */
    public void writeCsv(Path csv) throws IOException {
        Files.createDirectories(csv.toAbsolutePath().getParent());
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write("time_s,op,offset,length\n");
            for (Read r : reads) {
                w.write(String.format(Locale.ROOT, "%.6f,READ,%d,%d%n", r.micros() / 1e6, r.offset(), r.length()));
            }
        }
    }

    public int size() {
        return reads.size();
    }

    /** M⁻¹(A): when the memory-cached run issues its last read, seconds. */
    public double durationSeconds() {
        return reads.getLast().micros() / 1e6;
    }

    /** A: bytes read from boot to the end of the workload (a byte read twice counts twice, as in M). */
    public long bytesRead() {
        long sum = 0;
        for (Read r : reads) {
            sum += r.length();
        }
        return sum;
    }

    /** The pieces of {@code pieceSize} bytes that some read touches. */
    public BitSet pieces(int pieceSize) {
        BitSet touched = new BitSet();
        for (Read r : reads) {
            if (r.length() > 0) {
                touched.set(r.firstPiece(pieceSize), r.lastPiece(pieceSize) + 1);
            }
        }
        return touched;
    }

    /** Think time before read {@code i}: the gap since the previous read (since 0 for the first), µs. */
    public long thinkMicros(int i) {
        return i == 0 ? reads.get(0).micros() : reads.get(i).micros() - reads.get(i - 1).micros();
    }

    /** M(t): cumulative bytes read against time when every read is served at once. */
    public Playback memoryPlayback() {
        double[] t = new double[reads.size()];
        long[] bytes = new long[reads.size()];
        long sum = 0;
        for (int i = 0; i < reads.size(); i++) {
            sum += reads.get(i).length();
            t[i] = reads.get(i).micros() / 1e6;
            bytes[i] = sum;
        }
        return new Playback(t, bytes);
    }

    /**
     * This trace on an image {@code factor} times smaller: offsets and image size divided by
     * {@code factor}, each read covering the scaled image of its byte range. With pieces
     * {@code factor} times smaller too, every read touches the same piece indices; with link rates
     * {@code factor} times lower, every transfer takes as long as before, so times and the
     * normalized runtime keep their meaning (the harness's way to fit many agents on one machine).
     */
    public Trace scaleBytes(int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("factor must be at least 1");
        }
        if (factor == 1) {
            return this;
        }
        List<Read> scaled = new ArrayList<>(reads.size());
        for (Read r : reads) {
            long from = r.offset() / factor;
            long to = r.length() == 0 ? from : Math.max(from + 1, (r.end() + factor - 1) / factor);
            scaled.add(new Read(r.micros(), from, (int) (to - from)));
        }
        return new Trace(name + "/" + factor, (imageSize + factor - 1) / factor, scaled);
    }

    /** This trace with every time multiplied by {@code factor} (think times stretched alike). */
    public Trace stretch(double factor) {
        if (!(factor > 0)) {
            throw new IllegalArgumentException("factor must be positive");
        }
        List<Read> out = new ArrayList<>(reads.size());
        for (Read r : reads) {
            out.add(new Read(Math.round(r.micros() * factor), r.offset(), r.length()));
        }
        return new Trace(name, imageSize, out);
    }

    /** The first {@code count} reads. */
    public Trace head(int count) {
        return new Trace(name + "[0," + count + ")", imageSize, reads.subList(0, Math.min(count, reads.size())));
    }

    /** One line for reports. */
    public String describe(int pieceSize) {
        BitSet p = pieces(pieceSize);
        long pieceCount = (imageSize + pieceSize - 1) / pieceSize;
        return String.format(Locale.ROOT,
                "%s: %d reads, A = %.1f MiB read, %d of %d pieces of %d KiB touched (%.1f %% of the image), M⁻¹(A) = %.2f s",
                name, reads.size(), bytesRead() / 1048576.0, p.cardinality(), pieceCount, pieceSize / 1024,
                100.0 * p.cardinality() / pieceCount, durationSeconds());
    }
}
