package io.bootswarm.bench;

import io.bootswarm.bench.harness.HarnessCommands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The swarm lab's command line ({@code java -jar bench/target/lab.jar COMMAND [--option value …]}):
 * a map from a command's name to the {@link Command} that runs it. Each package of the lab adds its
 * commands with one line in {@link #commands()}.
 */
public final class Lab {

    /** One lab command: an experiment that writes its CSV and PNG files to a results folder. */
    public interface Command {
        /** One line: what it does and its options. */
        String help();

        void run(Args args) throws Exception;
    }

    /**
     * Options given as {@code --name value} (or {@code --flag} alone for true).
     *
     * @param command the command's name
     * @param options by name, without the dashes
     */
    public record Args(String command, Map<String, String> options) {

        public static Args parse(String command, List<String> words) {
            Map<String, String> o = new HashMap<>();
            for (int i = 0; i < words.size(); i++) {
                String w = words.get(i);
                if (!w.startsWith("--")) {
                    throw new IllegalArgumentException("expected --option, got '" + w + "'");
                }
                String name = w.substring(2);
                int eq = name.indexOf('=');
                if (eq > 0) {
                    o.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (i + 1 < words.size() && !words.get(i + 1).startsWith("--")) {
                    o.put(name, words.get(++i));
                } else {
                    o.put(name, "true");
                }
            }
            return new Args(command, Map.copyOf(o));
        }

        public String get(String name, String fallback) {
            return options.getOrDefault(name, fallback);
        }

        public int getInt(String name, int fallback) {
            return options.containsKey(name) ? Integer.parseInt(options.get(name)) : fallback;
        }

        public long getLong(String name, long fallback) {
            return options.containsKey(name) ? Long.parseLong(options.get(name)) : fallback;
        }

        public double getDouble(String name, double fallback) {
            return options.containsKey(name) ? Double.parseDouble(options.get(name)) : fallback;
        }

        public boolean flag(String name) {
            return Boolean.parseBoolean(options.getOrDefault(name, "false"));
        }

        /** A comma-separated list. */
        public List<String> list(String name, String fallback) {
            List<String> out = new ArrayList<>();
            for (String s : get(name, fallback).split(",")) {
                if (!s.isBlank()) {
                    out.add(s.strip());
                }
            }
            return out;
        }

        public List<Integer> ints(String name, String fallback) {
            return list(name, fallback).stream().map(Integer::parseInt).toList();
        }

        /** The results folder: {@code --out}, else {@code results/COMMAND}. */
        public Path out() {
            return Path.of(get("out", "results/" + command));
        }
    }

    private Lab() {
    }

    /** Every command by name, in the order {@code help} lists them. */
    public static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        HarnessCommands.register(m);
        io.bootswarm.bench.sim.SimLab.register(m);
        io.bootswarm.bench.libtorrent.LibtorrentBulk.register(m);
        return m;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, Command> commands = commands();
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
            System.out.println("usage: java -jar bench/target/lab.jar COMMAND [--option value ...]");
            commands.forEach((name, c) -> System.out.printf("  %-12s %s%n", name, c.help()));
            return;
        }
        Command c = commands.get(argv[0]);
        if (c == null) {
            System.err.println("unknown command '" + argv[0] + "'; try help");
            System.exit(2);
        }
        c.run(Args.parse(argv[0], List.of(argv).subList(1, argv.length)));
        System.exit(0); // agents' and servers' threads may linger
    }
}
