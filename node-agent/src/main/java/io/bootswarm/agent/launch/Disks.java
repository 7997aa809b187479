package io.bootswarm.agent.launch;

import io.bootswarm.agent.AgentProperties;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.common.manifest.Manifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/**
 * The disks on this host. A disk is an image presented as a complete block device (NBD export
 * named by the disk id) over the host's swarm session for the image, with its own copy-on-write
 * overlay. Disks survive an agent restart: each has a {@code disk.json} beside its overlay, and
 * all are reopened at start with their flushed writes.
 */
public final class Disks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Disks.class);

    /** What is kept on disk about a disk. */
    record DiskRecord(UUID id, UUID imageId, UUID launchId, Instant createdAt) {
    }

    /** An open disk. */
    public record OpenDisk(DiskRecord record, Manifest manifest, VirtualDisk disk, SwarmSession session) {
        public UUID id() {
            return record.id();
        }

        public Optional<UUID> launchId() {
            return Optional.ofNullable(record.launchId());
        }
    }

    private final Path directory;
    private final ManifestCatalog manifests;
    private final SwarmManager swarms;
    private final AgentProperties properties;
    private final IntSupplier nbdPort;
    private final Consumer<String> disconnectExport;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<UUID, OpenDisk> open = new ConcurrentHashMap<>();

    /**
     * @param nbdPort          the NBD server's TCP port, for the URIs (known once the server is bound)
     * @param disconnectExport closes the NBD connections to an export, when its disk is deleted
     */
    public Disks(Path directory, ManifestCatalog manifests, SwarmManager swarms, AgentProperties properties,
                 IntSupplier nbdPort, Consumer<String> disconnectExport) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.manifests = manifests;
        this.swarms = swarms;
        this.properties = properties;
        this.nbdPort = nbdPort;
        this.disconnectExport = disconnectExport;
        restore();
    }

    private void restore() throws IOException {
        try (Stream<Path> dirs = Files.list(directory)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Path meta = d.resolve("disk.json");
                if (!Files.exists(meta)) {
                    continue;
                }
                try {
                    DiskRecord r = json.readValue(meta.toFile(), DiskRecord.class);
                    openDisk(r);
                } catch (IOException | RuntimeException e) {
                    log.warn("could not reopen disk in {}: {}", d, e.toString());
                }
            }
        }
        if (!open.isEmpty()) {
            log.info("reopened {} disks", open.size());
        }
    }

    /**
     * Creates a disk for {@code imageId}, or returns the existing one for {@code launchId}
     * (a launch has one disk per host, whose id is the launch id).
     *
     * @throws ManifestCatalog.UnknownImageException if the catalog has no such image
     */
    public OpenDisk create(UUID imageId, UUID launchId) throws IOException {
        if (launchId != null) {
            OpenDisk existing = open.get(launchId);
            if (existing != null) {
                if (!existing.record().imageId().equals(imageId)) {
                    throw new IllegalArgumentException("launch " + launchId + " already runs image "
                            + existing.record().imageId() + " on this host");
                }
                return existing;
            }
        }
        Manifest manifest = manifests.get(imageId);
        UUID id = launchId != null ? launchId : UUID.randomUUID();
        synchronized (this) {
            OpenDisk existing = open.get(id);
            if (existing != null) {
                return existing;
            }
            DiskRecord r = new DiskRecord(id, imageId, launchId, Instant.now());
            Path dir = Files.createDirectories(directory.resolve(id.toString()));
            Path tmp = dir.resolve("disk.json.tmp");
            json.writeValue(tmp.toFile(), r);
            Files.move(tmp, dir.resolve("disk.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            OpenDisk d = openDisk(r, manifest);
            log.info("disk {} created for image {} ({} bytes, {} of {} pieces to fetch)", id, manifest.name(),
                    manifest.size(), d.disk().missingPieces(), manifest.pieceCount());
            return d;
        }
    }

    private OpenDisk openDisk(DiskRecord r) throws IOException {
        return openDisk(r, manifests.get(r.imageId()));
    }

    private OpenDisk openDisk(DiskRecord r, Manifest manifest) throws IOException {
        SwarmSession session = swarms.session(manifest);
        VirtualDisk disk = VirtualDisk.open(manifest, swarms.store(), session, directory.resolve(r.id().toString()),
                VirtualDisk.AccessListener.NONE);
        OpenDisk d = new OpenDisk(r, manifest, disk, session);
        open.put(r.id(), d);
        return d;
    }

    public Optional<OpenDisk> find(UUID id) {
        return Optional.ofNullable(open.get(id));
    }

    public List<OpenDisk> list() {
        return open.values().stream().sorted(Comparator.comparing(d -> d.record().createdAt())).toList();
    }

    /** The block device exported under {@code name} (a disk id). */
    public Optional<BlockDevice> export(String name) {
        try {
            return find(UUID.fromString(name)).map(OpenDisk::disk);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public Collection<String> exportNames() {
        return open.keySet().stream().map(UUID::toString).sorted().toList();
    }

    /** Closes and removes a disk with its overlay; true if it existed. */
    public boolean delete(UUID id) throws IOException {
        OpenDisk d = open.remove(id);
        if (d == null) {
            return false;
        }
        disconnectExport.accept(id.toString());
        d.disk().close();
        Path dir = directory.resolve(id.toString());
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        log.info("disk {} deleted", id);
        return true;
    }

    public DiskView view(OpenDisk d) {
        SwarmSession.Stats s = d.session().stats();
        String export = d.id().toString();
        String host = properties.advertisedHost();
        String nbdUri = "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + nbdPort.getAsInt() + "/" + export;
        String unixUri = properties.hasUnixSocket()
                ? "nbd+unix:///" + export + "?socket=" + properties.nbd().unixSocket().toAbsolutePath() : null;
        return new DiskView(d.id(), d.manifest().imageId(), d.manifest().name(), d.record().launchId(),
                d.manifest().size(), export, nbdUri, unixUri, s.piecesPresent(), s.piecesTotal(), s.piecesFetched(), s.bytesFetched(),
                s.verificationFailures(), s.bannedPeers().stream().sorted().toList(),
                (long) d.disk().writtenClusters() * 4096, d.record().createdAt());
    }

    @Override
    public void close() {
        for (OpenDisk d : open.values()) {
            try {
                d.disk().close();
            } catch (IOException e) {
                log.warn("closing disk {}: {}", d.id(), e.toString());
            }
        }
        open.clear();
    }
}
