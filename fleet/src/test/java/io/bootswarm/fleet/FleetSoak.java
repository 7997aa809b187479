package io.bootswarm.fleet;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The soak (issue 11): N agents, each in its own JVM, serve one launch of a cold image while a
 * reader per agent reads random ranges without pause and checks every byte, and writes and flushes
 * into a zone of its own and checks that every flushed write is there; meanwhile random agents are
 * killed with SIGKILL and started again on the same ports and data. A reader reconnects as QEMU's
 * NBD client does ({@code reconnect-delay}). Errors: a wrong byte, an NBD error reply (an I/O error
 * to a guest), a flushed write missing, a connection a live agent dropped, an agent that does not
 * serve again within {@link #RECONNECT}. Prints reads, bytes, writes, kills and errors and fails on
 * any error.
 *
 * <p>Not run by {@code ./mvnw verify} (the name matches neither surefire's nor failsafe's
 * patterns): {@code bin/soak [MINUTES] [AGENTS]}, which passes {@code BOOTSWARM_SOAK_MINUTES} (15),
 * {@code BOOTSWARM_SOAK_AGENTS} (3), {@code BOOTSWARM_SOAK_IMAGE_MIB} (256) and
 * {@code BOOTSWARM_SOAK_KILL_EVERY_SECONDS} (the mean time between kills, 30).
 */
class FleetSoak extends FleetITSupport {

    static final int PIECE = 256 * 1024;
    static final int SLOT = 4096;
    /** The zone each agent's reader writes to: the last 8 MiB of the image, a quarter per agent at most. */
    static final long WRITE_ZONE = 8L << 20;
    /** How long an agent may take to serve again after a restart (a JVM start on a busy machine). */
    static final Duration RECONNECT = Duration.ofMinutes(5);
    static final Duration IO = Duration.ofSeconds(120);
    /** The pause between connection attempts of a reader whose agent is down, as QEMU's reconnect-delay. */
    static final Duration RECONNECT_DELAY = Duration.ofMillis(200);

    final AtomicLong reads = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong flushes = new AtomicLong();
    final AtomicLong kills = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    static int env(String name, int fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
    }

    /** One agent process and what the killer and its reader share about it. */
    final class Host {
        final String name;
        final Path data;
        final Path log;
        final int apiPort = freeTcpPort();
        final int nbdPort = freeTcpPort();
        /**
         * Odd while a kill is under way, bumped again once the process is gone: a reader that lost a
         * connection it opened in the same even epoch was dropped by a live agent.
         */
        final AtomicLong epoch = new AtomicLong();
        volatile Process process;

        Host(int i) throws IOException {
            name = "soak-" + i;
            data = work.resolve("soak-agents").resolve(name);
            log = Path.of("target", name + ".log");
            Files.deleteIfExists(log);
        }

        void start() throws IOException {
            process = startAgentProcess(name, data, apiPort, nbdPort, log);
        }

        void kill() throws InterruptedException {
            epoch.incrementAndGet();
            process.destroyForcibly().waitFor();
            epoch.incrementAndGet();
            kills.incrementAndGet();
        }
    }

    @Test
    void agentsKilledAndRestartedUnderContinuousVerifiedReadsAndFlushedWrites() throws Exception {
        int minutes = env("BOOTSWARM_SOAK_MINUTES", 15);
        int agentCount = env("BOOTSWARM_SOAK_AGENTS", 3);
        int imageMib = env("BOOTSWARM_SOAK_IMAGE_MIB", 256);
        int killEvery = env("BOOTSWARM_SOAK_KILL_EVERY_SECONDS", 30);
        Tools.Image image = Tools.distinctPieces(work.resolve("soak.img"), imageMib * 4, PIECE, 16, 21);
        UUID imageId = UUID.fromString(client.uploadImage("soak-image", image.file()).path("id").asString());
        List<Host> hosts = new ArrayList<>();
        for (int i = 0; i < agentCount; i++) {
            hosts.add(new Host(i));
        }
        long t0 = System.nanoTime();
        try {
            for (Host h : hosts) {
                h.start();
            }
            for (Host h : hosts) {
                client.awaitHostUp(h.name, RECONNECT);
            }
            UUID launch = UUID.fromString(client.launch(imageId, hosts.stream().map(h -> h.name).toList(), null)
                    .path("id").asString());
            client.awaitLaunchReady(launch, RECONNECT);
            System.out.printf("soak: %d agents, %d MiB image (%d pieces), %d min, a kill every ~%d s%n", agentCount,
                    imageMib, image.pieces(), minutes, killEvery);

            long end = System.nanoTime() + Duration.ofMinutes(minutes).toNanos();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> readers = new ArrayList<>();
                for (int i = 0; i < hosts.size(); i++) {
                    Host h = hosts.get(i);
                    long zoneStart = image.size() - WRITE_ZONE + i * (WRITE_ZONE / Math.max(4, agentCount));
                    int slots = (int) (WRITE_ZONE / Math.max(4, agentCount) / SLOT);
                    Reader r = new Reader(h, launch.toString(), image, zoneStart, slots, 1000 + i);
                    readers.add(pool.submit(() -> r.run(end)));
                }
                killer(hosts, end, killEvery);
                for (Future<?> f : readers) {
                    f.get();
                }
            }
        } finally {
            for (Host h : hosts) {
                if (h.process != null) {
                    h.process.destroyForcibly().waitFor();
                }
            }
        }
        System.out.printf("soak: %.1f min, reads %d, bytes %d (%.1f MiB), writes %d, flushes %d, kills %d, "
                        + "reconnects %d, errors %d%n", (System.nanoTime() - t0) / 60e9, reads.get(), bytes.get(),
                bytes.get() / 1048576.0, writes.get(), flushes.get(), kills.get(), reconnects.get(), errors.size());
        errors.stream().limit(20).forEach(e -> System.out.println("soak error: " + e));
        assertThat(errors).as("errors").isEmpty();
        assertThat(kills.get()).as("kills").isPositive();
        assertThat(reads.get()).as("reads").isPositive();
    }

    /** Kills a random agent at random times (mean {@code every} seconds) and starts it again at once. */
    private void killer(List<Host> hosts, long end, int every) throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        while (true) {
            long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(every / 2 + random.nextInt(every + 1));
            if (next > end - TimeUnit.SECONDS.toNanos(20)) {
                break;
            }
            // the pause between kills is the workload's schedule, not a wait for an event
            LockSupport.parkNanos(next - System.nanoTime());
            Host h = hosts.get(random.nextInt(hosts.size()));
            h.kill();
            h.start();
        }
    }

    /**
     * One agent's guest: random reads of the image outside the write zone checked against the image,
     * and in its part of the write zone, writes each followed by a flush, after which the slot must
     * hold that write; a slot whose write or flush was cut by a kill may hold the old bytes or the new.
     */
    final class Reader {
        final Host host;
        final String export;
        final Tools.Image image;
        final long zoneStart;
        /** Per slot of the write zone, the generations it may hold: 0 is the image's bytes. */
        final AtomicReferenceArray<Set<Integer>> may;
        final SplittableRandom random;
        final RandomAccessFile original;
        int generation;

        Reader(Host host, String export, Tools.Image image, long zoneStart, int slots, long seed) throws IOException {
            this.host = host;
            this.export = export;
            this.image = image;
            this.zoneStart = zoneStart;
            this.may = new AtomicReferenceArray<>(slots);
            for (int i = 0; i < slots; i++) {
                may.set(i, Set.of(0));
            }
            this.random = new SplittableRandom(seed);
            this.original = new RandomAccessFile(image.file().toFile(), "r");
        }

        Void run(long end) throws Exception {
            NbdSession nbd = null;
            long epoch = 0;
            try {
                while (System.nanoTime() < end) {
                    if (nbd == null) {
                        nbd = connect();
                        if (nbd == null) {
                            return null;
                        }
                        epoch = host.epoch.get();
                    }
                    try {
                        step(nbd);
                    } catch (NbdSession.ErrorReply e) {
                        errors.add(host.name + ": " + e.getMessage());
                    } catch (IOException e) {
                        nbd.close();
                        nbd = null;
                        if (host.epoch.get() == epoch && epoch % 2 == 0) {
                            errors.add(host.name + ": connection lost while the agent was up: " + e);
                        }
                        reconnects.incrementAndGet();
                    }
                }
                if (nbd == null) {
                    nbd = connect();
                }
                if (nbd != null) {
                    verifyWriteZone(nbd);
                }
            } finally {
                if (nbd != null) {
                    nbd.close();
                }
                original.close();
            }
            return null;
        }

        private NbdSession connect() {
            long deadline = System.nanoTime() + RECONNECT.toNanos();
            IOException last = null;
            while (System.nanoTime() < deadline) {
                try {
                    return NbdSession.open("127.0.0.1", host.nbdPort, export, IO);
                } catch (IOException e) {
                    last = e;
                    LockSupport.parkNanos(RECONNECT_DELAY.toNanos());
                }
            }
            errors.add(host.name + ": not serving again within " + RECONNECT + ": " + last);
            return null;
        }

        private void step(NbdSession nbd) throws IOException, NbdSession.ErrorReply {
            int what = random.nextInt(100);
            if (what < 5) {
                int slot = random.nextInt(may.length());
                int g = ++generation;
                Set<Integer> before = may.get(slot);
                Set<Integer> either = new HashSet<>(before);
                either.add(g);
                may.set(slot, either);
                nbd.write(slot(slot), pattern(slot, g));
                writes.incrementAndGet();
                nbd.flush();
                flushes.incrementAndGet();
                may.set(slot, Set.of(g));
            } else if (what < 15) {
                checkSlot(nbd, random.nextInt(may.length()));
            } else {
                long readable = image.size() - WRITE_ZONE;
                int length = (1 + random.nextInt(256)) * 4096;
                long offset = random.nextLong((readable - length) / 512) * 512;
                byte[] got = nbd.read(offset, length);
                reads.incrementAndGet();
                bytes.addAndGet(length);
                byte[] want = new byte[length];
                original.seek(offset);
                original.readFully(want);
                if (!Arrays.equals(got, want)) {
                    errors.add(host.name + ": wrong bytes read at " + offset + " (+" + length + ")");
                }
            }
        }

        private void checkSlot(NbdSession nbd, int slot) throws IOException, NbdSession.ErrorReply {
            byte[] got = nbd.read(slot(slot), SLOT);
            reads.incrementAndGet();
            bytes.addAndGet(SLOT);
            for (int g : may.get(slot)) {
                if (Arrays.equals(got, expected(slot, g))) {
                    return;
                }
            }
            errors.add(host.name + ": write slot " + slot + " holds none of generations " + may.get(slot)
                    + " (a flushed write lost)");
        }

        private void verifyWriteZone(NbdSession nbd) throws IOException {
            try {
                for (int s = 0; s < may.length(); s++) {
                    checkSlot(nbd, s);
                }
            } catch (NbdSession.ErrorReply e) {
                errors.add(host.name + ": final check: " + e.getMessage());
            }
        }

        private long slot(int slot) {
            return zoneStart + (long) slot * SLOT;
        }

        private byte[] expected(int slot, int g) throws IOException {
            if (g != 0) {
                return pattern(slot, g);
            }
            byte[] b = new byte[SLOT];
            original.seek(slot(slot));
            original.readFully(b);
            return b;
        }

        private byte[] pattern(int slot, int g) {
            byte[] b = new byte[SLOT];
            new SplittableRandom(((long) slot << 32) ^ g ^ host.name.hashCode()).nextBytes(b);
            ByteBuffer.wrap(b).putInt(slot).putInt(g);
            return b;
        }
    }
}
