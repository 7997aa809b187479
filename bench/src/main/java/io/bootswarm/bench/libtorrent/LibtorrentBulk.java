package io.bootswarm.bench.libtorrent;

import io.bootswarm.bench.Lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The bulk-distribution yardstick: libtorrent (Debian's {@code python3-libtorrent}) sends one file from one seed
 * to N peers, all in one Python process on loopback, every session's upload and download capped at the same rate,
 * with its peer-class filter set so that loopback peers obey the caps (libtorrent exempts local peers from rate
 * limits by default). The script is {@code bulk.py} beside this class; it needs nothing but the JDK, so that
 * fleet's {@code SwarmBenchmark} can run it in the same run as the real agents.
 *
 * <p>The figure of merit is the line-rate bound ({@link #boundSeconds}) over the time the last peer completed.
 */
public final class LibtorrentBulk {

    /** What one libtorrent run did. */
    public record Result(String version, long bytes, int peers, long rate, int complete, double lastSeconds,
                         long seedUploaded, List<Double> peerSeconds) {

        /** The line-rate bound for this file, peer count and rate. */
        public double boundSeconds() {
            return LibtorrentBulk.boundSeconds(bytes, peers, rate);
        }

        /** The bound over the last peer's time, in %; 0 if a peer did not complete. */
        public double percentOfBound() {
            return complete < peers ? 0 : 100 * boundSeconds() / lastSeconds;
        }

        /** Bytes the seed uploaded over the file's size. */
        public double seedCopies() {
            return (double) seedUploaded / bytes;
        }

        /** One line for a console. */
        public String summary() {
            return String.format(Locale.ROOT, "libtorrent %s: %d peers, %d MiB, every link capped at %d B/s: "
                            + "%s; line-rate bound %.1f s = %.0f %%; seed uploaded %.2f copies", version, peers,
                    bytes >> 20, rate, complete < peers ? complete + " of " + peers + " peers complete"
                            : String.format(Locale.ROOT, "last peer complete in %.1f s", lastSeconds),
                    boundSeconds(), percentOfBound(), seedCopies());
        }
    }

    private LibtorrentBulk() {
    }

    /**
     * The line-rate bound of sending {@code bytes} from one seed to {@code peers} peers when every host's upload and
     * download run at {@code rate}: no faster than the seed sends one copy, than a peer receives one, or than all
     * uploads together send {@code peers} copies, max(S/u, S/d, N·S/((N+1)·u)).
     */
    public static double boundSeconds(long bytes, int peers, long rate) {
        double s = bytes;
        return Math.max(s / rate, peers * s / ((peers + 1.0) * rate));
    }

    /**
     * Runs libtorrent on {@code file} with one seed and {@code peers} peers, every link at {@code rate} bytes per
     * second.
     *
     * @param python a Python 3 that can {@code import libtorrent} ({@code /usr/bin/python3} on Debian)
     * @param work   a scratch folder for the peers' copies, deleted afterwards
     */
    public static Result run(String python, Path file, int peers, long rate, Path work, Duration timeout)
            throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path script = work.resolve("bulk.py");
        try (InputStream in = LibtorrentBulk.class.getResourceAsStream("bulk.py")) {
            if (in == null) {
                throw new IOException("bulk.py is not on the class path beside " + LibtorrentBulk.class.getName());
            }
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(python, script.toString(), "--file", file.toAbsolutePath().toString(),
                "--peers", Integer.toString(peers), "--rate", Long.toString(rate), "--work",
                work.resolve("peers").toString(), "--timeout", Long.toString(timeout.toSeconds()))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String result = null;
        StringBuilder output = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                } else {
                    output.append(line).append('\n');
                }
            }
        }
        if (!p.waitFor(timeout.toSeconds() + 60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        deleteTree(work);
        if (result == null) {
            throw new IOException("libtorrent run gave no result (exit " + p.exitValue() + "):\n" + output);
        }
        return parse(result);
    }

    static Result parse(String line) {
        Map<String, String> kv = new HashMap<>();
        for (String word : line.substring("RESULT ".length()).trim().split(" ")) {
            int eq = word.indexOf('=');
            kv.put(word.substring(0, eq), word.substring(eq + 1));
        }
        List<Double> times = new ArrayList<>();
        for (String t : kv.get("times").split(",")) {
            times.add(t.equals("none") ? Double.NaN : Double.parseDouble(t));
        }
        String last = kv.get("last");
        return new Result(kv.get("version"), Long.parseLong(kv.get("bytes")), Integer.parseInt(kv.get("peers")),
                Long.parseLong(kv.get("rate")), Integer.parseInt(kv.get("complete")),
                last.equals("none") ? Double.NaN : Double.parseDouble(last), Long.parseLong(kv.get("seed_uploaded")),
                List.copyOf(times));
    }

    /** A file of {@code bytes} random bytes (libtorrent has no use for zero pieces to skip). */
    public static Path randomFile(Path file, long bytes) throws IOException {
        Files.createDirectories(file.getParent());
        SecureRandom random = new SecureRandom();
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }

    /**
     * A rate such as {@code 12500KB}, {@code 100MB} or a number of bytes; KB and MB are 1024-based, as Spring's
     * {@code DataSize} reads the agents' {@code upload-rate}, so that both sides get the same bytes per second.
     */
    public static long parseRate(String rate) {
        String r = rate.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (r.endsWith("KB")) {
            unit = 1024;
        } else if (r.endsWith("MB")) {
            unit = 1024 * 1024;
        } else if (r.endsWith("B")) {
            unit = 1;
        }
        String digits = r.replaceAll("[A-Z]+$", "");
        return Long.parseLong(digits) * unit;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Adds the {@code libtorrent} command to the lab. */
    public static void register(Map<String, Lab.Command> commands) {
        commands.put("libtorrent", new Lab.Command() {
            @Override
            public String help() {
                return "bulk distribution with libtorrent, 1 seed + N peers on loopback, every link capped, loopback "
                        + "peers rate-limited: --peers 8,16 --mib 128 --rate 12500KB [--file PATH] "
                        + "[--python /usr/bin/python3]; last peer's time, % of the line-rate bound, seed copies";
            }

            @Override
            public void run(Lab.Args args) throws Exception {
                long rate = parseRate(args.get("rate", "12500KB"));
                Path out = args.out();
                Files.createDirectories(out);
                Path file = args.options().containsKey("file") ? Path.of(args.get("file", ""))
                        : randomFile(out.resolve("random.bin"), args.getLong("mib", 128) << 20);
                List<String> rows = new ArrayList<>();
                rows.add("peers,bytes,rate,last_s,bound_s,percent_of_bound,seed_copies,complete");
                try {
                    for (int peers : args.ints("peers", "8")) {
                        Result r = LibtorrentBulk.run(args.get("python", "/usr/bin/python3"), file, peers, rate,
                                out.resolve("work-" + peers), Duration.ofSeconds(args.getLong("timeout", 600)));
                        System.out.println(r.summary());
                        rows.add(String.format(Locale.ROOT, "%d,%d,%d,%.3f,%.3f,%.1f,%.3f,%d", r.peers(), r.bytes(),
                                r.rate(), r.lastSeconds(), r.boundSeconds(), r.percentOfBound(), r.seedCopies(),
                                r.complete()));
                    }
                } finally {
                    if (!args.options().containsKey("file")) {
                        Files.deleteIfExists(file);
                    }
                }
                Files.write(out.resolve("libtorrent.csv"), rows);
            }
        });
    }
}
