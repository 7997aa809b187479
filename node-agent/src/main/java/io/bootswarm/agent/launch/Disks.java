package io.bootswarm.agent.launch;

import io.bootswarm.agent.AgentProperties;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.profile.ProfileClient;
import io.bootswarm.agent.swarm.Prefetcher;
import io.bootswarm.agent.trace.AccessRecorder;
import io.bootswarm.agent.trace.TracePublisher;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.net.UriHost;
import io.bootswarm.common.profile.ProfileDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/**
 * The disks on this host. A disk is an image presented as a complete block device (NBD export
 * named by the disk id, and a FUSE file when that is on) over the host's swarm session for the
 * image, with its own copy-on-write overlay, its own access recorder and, by its launch options,
 * its own prefetcher (profile order, window-randomized, then rarest-first fill). Disks survive an
 * agent restart: each has a {@code disk.json} beside its overlay, and all are reopened at start
 * with their flushed writes.
 */
public final class Disks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Disks.class);

    /** A launch already has a disk on this host, for another image. */
    public static final class LaunchConflictException extends IllegalArgumentException {
        LaunchConflictException(UUID launchId, UUID runningImage) {
            super("launch " + launchId + " already runs image " + runningImage + " on this host");
        }
    }

    /**
     * What is kept on disk about a disk: its {@code disk.json}, read back at every start, also by later
     * versions of the agent. Its field names (and {@link StoredOptions}') must not change; a field may
     * be added (files written before leave it null, which must mean what the old behaviour was). Kept
     * apart from {@link LaunchOptions} and the REST and Kafka forms, with explicit mapping.
     */
    record DiskRecord(UUID id, UUID imageId, UUID launchId, StoredOptions options, Instant createdAt) {

        static DiskRecord of(UUID id, UUID imageId, UUID launchId, LaunchOptions options, Instant createdAt) {
            return new DiskRecord(id, imageId, launchId, StoredOptions.of(options), createdAt);
        }

        /** The options, resolved; a file written before disks had options takes the defaults. */
        LaunchOptions launchOptions() {
            return (options == null ? LaunchOptions.DEFAULTS : options.toLaunchOptions()).resolved();
        }
    }

    /** The launch options as {@code disk.json} keeps them. */
    record StoredOptions(String workload, LaunchOptions.Policy policy, Integer window, Boolean backgroundFill) {

        static StoredOptions of(LaunchOptions o) {
            return new StoredOptions(o.workload(), o.policy(), o.window(), o.backgroundFill());
        }

        LaunchOptions toLaunchOptions() {
            return new LaunchOptions(workload, policy, window, backgroundFill);
        }
    }

    /** An open disk. */
    public static final class OpenDisk {
        private final DiskRecord record;
        private final LaunchOptions options;
        private final Manifest manifest;
        private final VirtualDisk disk;
        private final SwarmSession session;
        private final AccessRecorder recorder;
        private volatile Prefetcher prefetcher;
        private volatile Integer profileRuns;
        private volatile Thread traceTimer;

        OpenDisk(DiskRecord record, Manifest manifest, VirtualDisk disk, SwarmSession session, AccessRecorder recorder) {
            this.record = record;
            this.options = record.launchOptions();
            this.manifest = manifest;
            this.disk = disk;
            this.session = session;
            this.recorder = recorder;
        }

        public UUID id() {
            return record.id();
        }

        public Optional<UUID> launchId() {
            return Optional.ofNullable(record.launchId());
        }

        DiskRecord record() {
            return record;
        }

        public Manifest manifest() {
            return manifest;
        }

        public VirtualDisk disk() {
            return disk;
        }

        public SwarmSession session() {
            return session;
        }

        /** The launch options, resolved. */
        public LaunchOptions options() {
            return options;
        }

        public AccessRecorder recorder() {
            return recorder;
        }

        /** The prefetcher, once the profile has been looked up (null in demand mode without fill). */
        public Prefetcher prefetcher() {
            return prefetcher;
        }

        /** Runs in the profile this disk prefetches by, or null without one. */
        public Integer profileRuns() {
            return profileRuns;
        }
    }

    private final Path directory;
    private final ManifestCatalog manifests;
    private final SwarmManager swarms;
    private final AgentProperties properties;
    private final ProfileClient profiles;
    private final TracePublisher traces;
    private final IntSupplier nbdPort;
    private final Consumer<String> disconnectExport;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final InstantSource clock;
    private final Map<UUID, OpenDisk> open = new ConcurrentHashMap<>();
    private volatile Function<UUID, String> filePath = id -> null;

    /**
     * @param nbdPort          the NBD server's TCP port, for the URIs (known once the server is bound)
     * @param disconnectExport closes the NBD connections to an export, when its disk is deleted
     */
    public Disks(Path directory, ManifestCatalog manifests, SwarmManager swarms, AgentProperties properties,
                 ProfileClient profiles, TracePublisher traces, IntSupplier nbdPort, Consumer<String> disconnectExport)
            throws IOException {
        this(directory, manifests, swarms, properties, profiles, traces, nbdPort, disconnectExport,
                InstantSource.system(), null);
    }

    /** @param clock when a disk is created ({@code createdAt}, the order of {@link #list()}) */
    public Disks(Path directory, ManifestCatalog manifests, SwarmManager swarms, AgentProperties properties,
                 ProfileClient profiles, TracePublisher traces, IntSupplier nbdPort, Consumer<String> disconnectExport,
                 InstantSource clock) throws IOException {
        this(directory, manifests, swarms, properties, profiles, traces, nbdPort, disconnectExport, clock, null);
    }

    /**
     * @param clock when a disk is created ({@code createdAt}, the order of {@link #list()})
     * @param early the disks the agent's early start reopened, taken over here (null for none)
     */
    public Disks(Path directory, ManifestCatalog manifests, SwarmManager swarms, AgentProperties properties,
                 ProfileClient profiles, TracePublisher traces, IntSupplier nbdPort, Consumer<String> disconnectExport,
                 InstantSource clock, EarlyDisks early) throws IOException {
        this.clock = clock;
        this.directory = PrivateFiles.createDirectories(directory);
        this.manifests = manifests;
        this.swarms = swarms;
        this.properties = properties;
        this.profiles = profiles;
        this.traces = traces;
        this.nbdPort = nbdPort;
        this.disconnectExport = disconnectExport;
        try {
            restore(early);
        } finally {
            if (early != null) {
                early.close();
            }
        }
    }

    /** Reopens the disks of the directory, taking over those {@code early} (if not null) reopened already. */
    private void restore(EarlyDisks early) throws IOException {
        try (Stream<Path> dirs = Files.list(directory)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Path meta = d.resolve("disk.json");
                if (!Files.exists(meta)) {
                    continue;
                }
                try {
                    DiskRecord r = readRecord(meta);
                    Optional<EarlyDisks.Reopened> reopened = early == null ? Optional.empty() : early.take(r.id());
                    if (reopened.isPresent()) {
                        takeOver(reopened.get());
                    } else {
                        openDisk(r);
                    }
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
     * @throws LaunchConflictException if the launch's disk on this host is of another image
     */
    public OpenDisk create(UUID imageId, UUID launchId, LaunchOptions options) throws IOException {
        if (launchId != null) {
            OpenDisk existing = open.get(launchId);
            if (existing != null) {
                if (!existing.record().imageId().equals(imageId)) {
                    throw new LaunchConflictException(launchId, existing.record().imageId());
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
            DiskRecord r = DiskRecord.of(id, imageId, launchId, LaunchOptions.orDefaults(options).resolved(),
                    clock.instant());
            Path dir = PrivateFiles.createDirectories(directory.resolve(id.toString()));
            writeRecord(dir, r);
            OpenDisk d = openDisk(r, manifest);
            log.info("disk {} created for image {} ({} bytes, {} of {} pieces to fetch)", id, manifest.name(),
                    manifest.size(), d.disk().missingPieces(), manifest.pieceCount());
            return d;
        }
    }

    /** Reads a {@code disk.json}. */
    static DiskRecord readRecord(Path file) throws IOException {
        try {
            return JSON.readValue(file.toFile(), DiskRecord.class);
        } catch (tools.jackson.core.JacksonException e) {
            throw new IOException("unreadable " + file + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Writes {@code dir/disk.json} atomically (the file is there whole or not at all). */
    static void writeRecord(Path dir, DiskRecord r) throws IOException {
        Path tmp = dir.resolve("disk.json.tmp");
        PrivateFiles.writeNew(tmp, JSON.writeValueAsBytes(r));
        Files.move(tmp, dir.resolve("disk.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private OpenDisk openDisk(DiskRecord r) throws IOException {
        return openDisk(r, manifests.get(r.imageId()));
    }

    private OpenDisk openDisk(DiskRecord r, Manifest manifest) throws IOException {
        SwarmSession session = swarms.session(manifest);
        AccessRecorder recorder = new AccessRecorder(properties.trace().maxReads(), MonotonicClock.system());
        VirtualDisk disk = VirtualDisk.open(manifest, swarms.store(), session, directory.resolve(r.id().toString()),
                recorder);
        return opened(new OpenDisk(r, manifest, disk, session, recorder));
    }

    /** A disk the early start reopened: its reads of missing pieces go to its swarm session from now on. */
    private void takeOver(EarlyDisks.Reopened e) throws IOException {
        SwarmSession session;
        try {
            session = swarms.session(e.manifest());
        } catch (RuntimeException ex) {
            e.disk().close();
            throw ex;
        }
        e.source().attach(session);
        opened(new OpenDisk(e.record(), e.manifest(), e.disk(), session, e.recorder()));
    }

    private OpenDisk opened(OpenDisk d) {
        DiskRecord r = d.record();
        open.put(r.id(), d);
        Thread.ofVirtual().name("prefetch-setup-" + r.id()).start(() -> startPrefetch(d));
        d.traceTimer = Thread.ofVirtual().name("trace-timer-" + r.id()).start(() -> {
            try {
                Thread.sleep(properties.trace().maxDuration());
                endTrace(d);
            } catch (InterruptedException e) {
                // the disk went away first
            }
        });
        return d;
    }

    /** Looks up the profile (in profile mode) and starts the prefetcher the launch options ask for. */
    private void startPrefetch(OpenDisk d) {
        LaunchOptions o = d.options();
        int[] order = new int[0];
        if (o.policy() == LaunchOptions.Policy.PROFILE) {
            Optional<ProfileDocument> profile = profiles.profile(d.manifest.imageId(), o.workload());
            if (profile.isPresent() && profile.get().pieceSize() == d.manifest.pieceSize()) {
                order = profile.get().pieces();
                d.profileRuns = profile.get().runs();
                d.disk.pin(order); // the boot's read set stays on the host while the disk lives
            }
        }
        if ((order.length > 0 || o.backgroundFill()) && open.containsKey(d.id())) {
            d.prefetcher = new Prefetcher(d.session, order, o.window(), o.backgroundFill(),
                    properties.swarm().prefetchConcurrency(), properties.swarm().fillConcurrency(),
                    d.id().toString()).start();
            log.info("disk {}: prefetching {} profile pieces (window {}){}", d.id(), order.length, o.window(),
                    o.backgroundFill() ? ", then the rest rarest first" : "");
        }
    }

    /**
     * Ends the access recording of a disk and sends its trace to profile-service (once: later calls
     * do nothing). Returns the trace id, or null if nothing was sent.
     */
    public UUID endTrace(OpenDisk d) {
        if (!d.recorder.stop()) {
            return null;
        }
        try {
            return traces.publish(new TracePublisher.TraceOrigin(d.record.launchId() != null ? d.record.launchId()
                    : d.id(), properties.hostName(), d.manifest.imageId(), d.options().workload(),
                    d.manifest.pieceSize()), d.recorder.reads());
        } catch (RuntimeException e) {
            log.warn("trace of disk {} could not be sent: {}", d.id(), e.getMessage());
            return null;
        }
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
        Prefetcher prefetcher = d.prefetcher;
        if (prefetcher != null) {
            prefetcher.close();
        }
        Thread timer = d.traceTimer;
        if (timer != null) {
            timer.interrupt();
        }
        endTrace(d);
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
        int port = properties.nbd().advertisedPort() != 0 ? properties.nbd().advertisedPort() : nbdPort.getAsInt();
        String nbdUri = (properties.nbd().tls().required() ? "nbds://" : "nbd://") + UriHost.of(properties.nbd().advertisedHost()) + ":" + port + "/" + export;
        String unixUri = properties.hasUnixSocket()
                ? "nbd+unix:///" + export + "?socket=" + properties.nbd().unixSocket().toAbsolutePath() : null;
        Prefetcher p = d.prefetcher();
        var demand = d.disk().demand();
        return new DiskView(d.id(), d.manifest().imageId(), d.manifest().name(), d.record().launchId(),
                d.disk().size(), export, nbdUri, unixUri, filePath.apply(d.id()), DiskOptionsBody.of(d.options()),
                d.profileRuns(),
                s.piecesPresent(), s.piecesTotal(), s.piecesFetched(), s.piecesFromSeed(), s.piecesByPeer(),
                s.bytesFetched(),
                demand.misses(), demand.waitMillis(0.5), demand.waitMillis(0.99), p == null ? 0 : p.prefetched(),
                d.recorder().count(), s.verificationFailures(), s.bannedPeers().stream().sorted().toList(),
                (long) d.disk().writtenClusters() * 4096, d.record().createdAt());
    }

    /** Where a disk appears as a file (FUSE), if anywhere. */
    public void setFilePaths(Function<UUID, String> paths) {
        this.filePath = paths;
    }

    @Override
    public void close() {
        for (OpenDisk d : open.values()) {
            Prefetcher p = d.prefetcher;
            if (p != null) {
                p.close();
            }
            Thread timer = d.traceTimer;
            if (timer != null) {
                timer.interrupt();
            }
            try {
                d.disk().close();
            } catch (IOException e) {
                log.warn("closing disk {}: {}", d.id(), e.toString());
            }
        }
        open.clear();
    }
}
