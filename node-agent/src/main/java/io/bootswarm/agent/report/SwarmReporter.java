package io.bootswarm.agent.report;

import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Tells allocator-service (and the seed's fallback split) every {@code interval} where this host
 * stands, as {@link SwarmReport}s (Wu et al.'s R_j^i, u_j, θ_j^i): per image it runs, the bytes it
 * still misses and the share of its upload going to that image's pieces; per piece group of those
 * images (seed-service's groups: pieces contained by the same set of images), the same, where
 * uploads count by the piece served whichever image's peer asked — so agents of image A serving
 * the pieces A shares with B show up in the group {A, B}. Shares are of the bytes uploaded in the
 * last interval; a host that uploaded nothing reports its upload split by the bytes it holds.
 * Reports are sent from {@link #start()} to {@link #close()}.
 */
public final class SwarmReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SwarmReporter.class);

    /** How long the seed's piece groups of an image are used before they are asked for again. */
    private static final Duration GROUPS_MAX_AGE = Duration.ofMinutes(1);

    /** The swarms this host serves, as a report reads them: the {@link SwarmManager}'s. */
    interface Swarms {
        List<SwarmManager.Served> served();

        /** The host's upload limit in bytes per second, 0 when unlimited. */
        long uploadRate();
    }

    /** The piece group of each piece of an image, null for all-zero pieces: the {@link ManifestCatalog}'s. */
    @FunctionalInterface
    interface Groups {
        String[] of(UUID imageId) throws IOException;
    }

    private final Swarms swarms;
    private final Groups groups;
    private final KafkaTemplate<String, String> kafka;
    private final String host;
    private final long assumedCapacity;
    private final Duration interval;
    private final InstantSource clock;
    private final Map<UUID, long[]> lastUploaded = new HashMap<>();
    private Thread thread;
    private boolean closed;
    private boolean failing;

    /**
     * @param assumedCapacity u_j to report when the host's upload is not limited (bytes/s)
     * @param clock           the time reports are stamped with
     */
    public SwarmReporter(SwarmManager swarms, ManifestCatalog catalog, KafkaTemplate<String, String> kafka,
                         String host, long assumedCapacity, Duration interval, InstantSource clock) {
        this(new Swarms() {
            @Override
            public List<SwarmManager.Served> served() {
                return swarms.served();
            }

            @Override
            public long uploadRate() {
                return swarms.uploadRate();
            }
        }, imageId -> catalog.groups(imageId, GROUPS_MAX_AGE), kafka, host, assumedCapacity, interval, clock);
    }

    SwarmReporter(Swarms swarms, Groups groups, KafkaTemplate<String, String> kafka, String host,
                  long assumedCapacity, Duration interval, InstantSource clock) {
        this.swarms = swarms;
        this.groups = groups;
        this.kafka = kafka;
        this.host = host;
        this.assumedCapacity = assumedCapacity;
        this.interval = interval;
        this.clock = clock;
    }

    /** Starts sending a report every {@code interval} (on a virtual thread of its own); once. */
    public synchronized SwarmReporter start() {
        if (thread == null && !closed) {
            thread = Thread.ofVirtual().name("swarm-reports").start(this::loop);
        }
        return this;
    }

    private void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            send();
        }
    }

    /** Sends the report of this host now, if it is in a swarm; logs a failure once until one succeeds. */
    void send() {
        try {
            report().ifPresent(r -> kafka.send(Topics.SWARM_REPORTS, r.key(), EventCodec.encode(r)));
            if (failing) {
                log.info("swarm reports flowing again");
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.warn("swarm report not sent (will retry every {}): {}", interval, e.getMessage());
                failing = true;
            }
        }
    }

    /**
     * The report of this host now; empty when it is in no swarm. Upload shares are of the bytes
     * uploaded since the previous call.
     */
    java.util.Optional<SwarmReport> report() throws IOException {
        List<SwarmManager.Served> served = swarms.served();
        if (served.stream().noneMatch(SwarmManager.Served::running)) {
            return java.util.Optional.empty();
        }
        Map<String, Long> groupUpload = new HashMap<>();
        Map<String, Long> groupHeld = new HashMap<>();
        Map<String, Long> groupMissing = new LinkedHashMap<>();
        Map<String, Set<PieceHash>> counted = new HashMap<>();
        Map<UUID, List<String>> imageGroups = new LinkedHashMap<>();
        Map<UUID, Long> imageMissing = new LinkedHashMap<>();
        Map<UUID, String> swarmIds = new HashMap<>();
        long totalUpload = 0;
        for (SwarmManager.Served s : served) {
            Manifest m = s.manifest();
            String[] groups = this.groups.of(m.imageId());
            long[] before = lastUploaded.computeIfAbsent(m.imageId(), k -> new long[m.pieceCount()]);
            long missing = 0;
            Set<String> ofImage = new java.util.LinkedHashSet<>();
            for (int i = 0; i < m.pieceCount() && i < groups.length; i++) {
                if (m.isZero(i) || groups[i] == null) {
                    continue;
                }
                String g = groups[i];
                long now = s.uploaded().get(i);
                long delta = now - before[i];
                before[i] = now;
                if (delta > 0) {
                    groupUpload.merge(g, delta, Long::sum);
                    totalUpload += delta;
                }
                if (!s.running()) {
                    continue;
                }
                ofImage.add(g);
                boolean first = counted.computeIfAbsent(g, k -> new HashSet<>()).add(m.hash(i));
                if (s.holds().contains(i)) {
                    if (first) {
                        groupHeld.merge(g, (long) m.pieceLength(i), Long::sum);
                    }
                } else {
                    missing += m.pieceLength(i);
                    if (first) {
                        groupMissing.merge(g, (long) m.pieceLength(i), Long::sum);
                    }
                }
                groupMissing.putIfAbsent(g, 0L);
            }
            if (s.running()) {
                imageGroups.put(m.imageId(), new ArrayList<>(ofImage));
                imageMissing.put(m.imageId(), missing);
                swarmIds.put(m.imageId(), m.swarmId().hex());
            }
        }
        long held = groupHeld.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Double> share = new HashMap<>();
        for (String g : groupMissing.keySet()) {
            double s = totalUpload > 0 ? (double) groupUpload.getOrDefault(g, 0L) / totalUpload
                    : held > 0 ? (double) groupHeld.getOrDefault(g, 0L) / held : 0;
            share.put(g, s);
        }
        List<SwarmReport.Entry> entries = new ArrayList<>();
        for (var e : imageGroups.entrySet()) {
            UUID image = e.getKey();
            double imageShare = Math.min(1, e.getValue().stream().mapToDouble(g -> share.getOrDefault(g, 0.0)).sum());
            entries.add(new SwarmReport.Entry(swarmIds.get(image), image, null, imageMissing.get(image), imageShare));
            for (String g : e.getValue()) {
                if (share.containsKey(g)) {
                    entries.add(new SwarmReport.Entry(swarmIds.get(image), image, g, groupMissing.get(g),
                            Math.min(1, share.get(g))));
                    share.remove(g); // a group shared by two images the host runs is reported once
                }
            }
        }
        long capacity = swarms.uploadRate() > 0 ? swarms.uploadRate() : assumedCapacity;
        return java.util.Optional.of(new SwarmReport(UUID.randomUUID(), clock.instant(), host, capacity, entries));
    }

    /** Stops sending reports. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
