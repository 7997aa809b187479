package io.bootswarm.agent.launch;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.nbd.ExportLookup;
import io.bootswarm.agent.trace.AccessRecorder;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * The disks of the data directory, reopened before the rest of the agent exists (its early start),
 * so that after a restart the NBD server serves them again within moments: each with its overlay
 * and the host's piece store, a manifest from the local cache only (verified as always), and a
 * {@link DeferredPieceSource}, so that a read of a piece the host does not hold waits for the swarm
 * (at most {@link #SWARM_WAIT}). {@link Disks} takes each over when it restores the disks and
 * attaches its swarm session; a disk that cannot be reopened here is left to {@link Disks}.
 */
public final class EarlyDisks implements AutoCloseable {

    /** How long a read of a missing piece waits for the swarm to start. */
    static final Duration SWARM_WAIT = Duration.ofMinutes(2);

    private static final Logger log = LoggerFactory.getLogger(EarlyDisks.class);

    /** A reopened disk, for {@link Disks} to take over. */
    record Reopened(Disks.DiskRecord record, Manifest manifest, VirtualDisk disk, AccessRecorder recorder,
                    DeferredPieceSource source) {
    }

    private final Map<String, Reopened> byExport = new ConcurrentSkipListMap<>();
    private final Map<UUID, Reopened> notTaken = new ConcurrentHashMap<>();

    private EarlyDisks() {
    }

    /**
     * Reopens the disks in {@code directory} (one sub-directory with a {@code disk.json} each).
     *
     * @param manifests where the disks' manifests are read from (a {@link ManifestCatalog#localOnly} one)
     * @param maxReads  reads each disk's access recorder keeps at most
     */
    public static EarlyDisks reopen(Path directory, ManifestCatalog manifests, PieceStore store, int maxReads)
            throws IOException {
        EarlyDisks early = new EarlyDisks();
        if (!Files.isDirectory(directory)) {
            return early;
        }
        try (Stream<Path> dirs = Files.list(directory)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Path meta = d.resolve("disk.json");
                if (!Files.exists(meta)) {
                    continue;
                }
                try {
                    Disks.DiskRecord r = Disks.readRecord(meta);
                    Manifest manifest = manifests.get(r.imageId());
                    DeferredPieceSource source = new DeferredPieceSource(SWARM_WAIT);
                    AccessRecorder recorder = new AccessRecorder(maxReads, MonotonicClock.system());
                    VirtualDisk disk = VirtualDisk.open(manifest, store, source, d, recorder);
                    Reopened reopened = new Reopened(r, manifest, disk, recorder, source);
                    early.byExport.put(r.id().toString(), reopened);
                    early.notTaken.put(r.id(), reopened);
                } catch (IOException | RuntimeException e) {
                    log.info("disk in {} is left to the ordinary start: {}", d, e.toString());
                }
            }
        }
        return early;
    }

    /** The reopened disks as NBD exports, named by disk id (as {@link Disks#export} names them). */
    public ExportLookup exports() {
        return new ExportLookup() {
            @Override
            public Optional<BlockDevice> find(String name) {
                return Optional.ofNullable(byExport.get(name)).map(Reopened::disk);
            }

            @Override
            public Collection<String> names() {
                return java.util.List.copyOf(byExport.keySet());
            }
        };
    }

    public int count() {
        return byExport.size();
    }

    /** Hands the disk {@code id} over to its new owner, once; it stays an export here until the handover. */
    Optional<Reopened> take(UUID id) {
        return Optional.ofNullable(notTaken.remove(id));
    }

    /** Closes the disks nobody took over. */
    @Override
    public void close() {
        for (Reopened r : notTaken.values()) {
            try {
                r.disk().close();
            } catch (IOException e) {
                log.warn("closing disk {}: {}", r.record().id(), e.toString());
            }
        }
        notTaken.clear();
    }
}
