package io.bootswarm.agent;

import io.bootswarm.agent.disk.CacheQuota;
import io.bootswarm.agent.swarm.SwarmSettings;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.remote.RemoteReplicas;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.util.unit.DataSize;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code bootswarm.agent.*}: everything an agent needs to know about its host and the fleet.
 *
 * @param hostName        this host's name in the tracker's registry (default: the machine's host name)
 * @param advertisedHost  the address other hosts use to reach this agent (peer wire, REST); on a machine
 *                        of its own it defaults to 127.0.0.1, but inside a container or pod it must be
 *                        set (the agent refuses to start rather than advertise a loopback address that
 *                        no other host can reach)
 * @param apiUrl          this agent's REST base URL as others see it (default from advertisedHost and server.port)
 * @param dataDirectory   piece store, manifests and disks live here
 * @param trackerUrl      tracker-service base URL, or a comma-separated list of them (replicas without a load
 *                        balancer in front): calls go to one and move on to the next when it fails
 *                        ({@link #trackerUrls()}); a malformed URL stops the start
 * @param seedUrl         seed-service base URL, or a comma-separated list of them (seed replicas without a load
 *                        balancer in front): manifests and manifest keys are asked of one and of the next when
 *                        it fails ({@link #seedUrls()}); empty to ask the tracker for a live seed. A malformed
 *                        URL stops the start
 * @param pieceSize       the fleet-wide piece size this host's store holds
 * @param peerPort        peer wire port (0 = any free port)
 * @param nbd             NBD export settings
 * @param heartbeatInterval how often to heartbeat to the tracker
 * @param statusInterval  how often a launch's progress is reported while it changes
 * @param swarm           swarm behaviour
 * @param profileUrl      profile-service base URL, where launches get their access profiles
 * @param trace           access recording
 * @param report          swarm reports to allocator-service
 * @param manifestKeys    base64 X.509 Ed25519 public keys whose manifest signatures this agent accepts
 *                        (the operator's pin); empty to trust the seed's published keys on first use
 *                        and pin them in {@code <data>/manifests/trusted-keys.json}
 * @param requirePinnedManifestSource with no {@code manifestKeys} and no {@code seedUrl}, refuse to take
 *                        keys from a seed the tracker named (any host can register as a seed there).
 *                        Off by default for now; it becomes the default once the tracker authorises
 *                        seed registration (the OAuth2 roles of the security issue)
 * @param cache           the piece store's quota and eviction
 */
@ConfigurationProperties("bootswarm.agent")
public record AgentProperties(String hostName, String advertisedHost, String apiUrl, Path dataDirectory,
                              String trackerUrl, String seedUrl, int pieceSize, int peerPort, Nbd nbd,
                              Duration heartbeatInterval, Duration statusInterval,
                              @NestedConfigurationProperty SwarmSettings swarm,
                              String profileUrl, Trace trace, Report report, List<String> manifestKeys,
                              boolean requirePinnedManifestSource, Cache cache) {

    /**
     * @param bindAddress where the NBD server listens; the default is loopback, and any other
     *                    address needs {@code tls.mode=require} (the agent refuses to start otherwise)
     * @param port        NBD TCP port (0 = any free port)
     * @param unixSocket  path of the NBD Unix socket, empty for none (default: {@code <data>/nbd.sock})
     * @param advertisedHost the host in the NBD URIs handed to the hypervisor (default: the agent's
     *                    {@code advertised-host}); e.g. 127.0.0.1 when the port is published on the
     *                    host's loopback by a container engine
     * @param advertisedPort the port in the NBD URIs (default 0: the port the server is bound to);
     *                    e.g. the host port a container engine publishes the NBD port on
     * @param socketGroup the group the Unix socket (mode 0660) and its directory (0750) are given, so
     *                    that the hypervisor can connect: e.g. {@code kvm} or {@code libvirt-qemu}, a
     *                    name or a numeric gid; empty (the default) for the agent's own group, the
     *                    socket's directory then owner-only. An unknown group stops the start
     * @param tls         TLS on the NBD TCP listener
     */
    public record Nbd(String bindAddress, int port, Path unixSocket, String advertisedHost, int advertisedPort,
                      String socketGroup, Tls tls) {
        public Nbd {
            tls = tls == null ? new Tls(null, null) : tls;
        }

        /**
         * {@code bootswarm.agent.nbd.tls.*}: NBD_OPT_STARTTLS on the TCP listener (the Unix socket never
         * needs it).
         *
         * @param mode   {@code off} (the default; only allowed with a loopback bind address) or
         *               {@code require}: TCP clients must upgrade with STARTTLS before anything else
         * @param bundle name of the Spring Boot SSL bundle ({@code spring.ssl.bundle.pem.<name>.*}) holding
         *               the server's certificate and key; if it has a trust store, clients must present a
         *               certificate that chains to it. Required with {@code mode=require}
         */
        public record Tls(Mode mode, String bundle) {
            public Tls {
                mode = mode == null ? Mode.OFF : mode;
                bundle = blank(bundle) ? null : bundle.strip();
                if (mode == Mode.REQUIRE && bundle == null) {
                    throw new IllegalStateException("bootswarm.agent.nbd.tls.mode=require needs "
                            + "bootswarm.agent.nbd.tls.bundle: the name of an SSL bundle "
                            + "(spring.ssl.bundle.pem.<name>.keystore.certificate and .private-key) holding the "
                            + "NBD server's certificate and key");
                }
            }

            public boolean required() {
                return mode == Mode.REQUIRE;
            }

            public enum Mode { OFF, REQUIRE }
        }
    }

    /**
     * @param maxReads    reads recorded per disk at most (24 bytes each in memory)
     * @param maxDuration a disk's trace is sent when its launch ends, or after this long
     */
    public record Trace(int maxReads, Duration maxDuration) {
        public Trace {
            maxReads = maxReads <= 0 ? 1_000_000 : maxReads;
            maxDuration = maxDuration == null || !maxDuration.isPositive() ? Duration.ofMinutes(10) : maxDuration;
        }
    }

    /**
     * @param enabled          send swarm reports (null: on)
     * @param interval         how often
     * @param assumedUploadCapacity the upload capacity u_j to report when the upload rate is not limited
     */
    public record Report(Boolean enabled, Duration interval, DataSize assumedUploadCapacity) {
        public Report {
            enabled = enabled == null || enabled; // read by the reporter bean's condition too
            interval = interval == null || !interval.isPositive() ? Duration.ofSeconds(5) : interval;
            assumedUploadCapacity = assumedUploadCapacity == null ? DataSize.ofMegabytes(125) : assumedUploadCapacity;
        }
    }

    /**
     * {@code bootswarm.agent.cache.*}: the host cache, the piece store, held to a quota (see
     * {@link CacheQuota} and {@code PieceStore}).
     *
     * @param maxSize         the most the piece store may take on disk. Default: half the size of the file
     *                        system holding the data directory (read at start), so that a host that runs
     *                        many images for months never fills the disk its guests' overlays share; set
     *                        it near the volume's size when the store has a volume of its own. A negative
     *                        size turns the quota off (the store only grows)
     * @param lowWaterPercent when the store passes {@code maxSize} it evicts down to this percentage of it
     *                        (default 90), least recently used pieces first
     * @param punchDelay      how long an evicted piece's bytes stay in place before their space goes back
     *                        to the file system and the slot is reused (default 10 s): a read the NBD server
     *                        sends straight from the file holds no reference, and finishes long before
     */
    public record Cache(DataSize maxSize, Integer lowWaterPercent, Duration punchDelay) {
        public Cache {
            lowWaterPercent = lowWaterPercent == null ? 90 : lowWaterPercent;
            if (lowWaterPercent < 0 || lowWaterPercent > 100) {
                throw new IllegalStateException("bootswarm.agent.cache.low-water-percent must be 0 to 100, not "
                        + lowWaterPercent);
            }
            punchDelay = punchDelay == null || punchDelay.isNegative() ? Duration.ofSeconds(10) : punchDelay;
        }

        /** The quota for a store in {@code directory}, sizing the default from its file system. */
        public CacheQuota quota(Path directory) throws IOException {
            long max;
            if (maxSize == null) {
                Path existing = directory.toAbsolutePath();
                while (!Files.exists(existing) && existing.getParent() != null) {
                    existing = existing.getParent();
                }
                max = Files.getFileStore(existing).getTotalSpace() / 2;
            } else if (maxSize.isNegative()) {
                return CacheQuota.unlimited();
            } else {
                max = maxSize.toBytes();
            }
            if (max <= 0) {
                throw new IllegalStateException("bootswarm.agent.cache.max-size must be positive (or negative for "
                        + "no quota), not " + max + " bytes");
            }
            return CacheQuota.of(max, lowWaterPercent, punchDelay);
        }
    }

    public AgentProperties {
        hostName = blank(hostName) ? localHostName() : hostName;
        if (blank(advertisedHost) && Containers.inContainer()) {
            throw new IllegalStateException("bootswarm.agent.advertised-host (BOOTSWARM_AGENT_ADVERTISED_HOST) "
                    + "must be set inside a container or pod: the address other hosts reach this agent at "
                    + "(its node or pod address, or its name on the container network); the default, "
                    + "127.0.0.1, reaches no other host");
        }
        advertisedHost = blank(advertisedHost) ? "127.0.0.1" : advertisedHost;
        dataDirectory = dataDirectory == null ? Path.of("data", "agent") : dataDirectory;
        trackerUrl = blank(trackerUrl) ? "http://localhost:8080" : trackerUrl;
        RemoteReplicas.baseUrls(TRACKER_URL, trackerUrl);
        seedUrl = blank(seedUrl) ? "" : seedUrl;
        if (!seedUrl.isEmpty()) {
            RemoteReplicas.baseUrls(SEED_URL, seedUrl);
        }
        pieceSize = pieceSize <= 0 ? Manifest.DEFAULT_PIECE_SIZE : pieceSize;
        nbd = nbd == null ? new Nbd("127.0.0.1", 10809, null, null, 0, null, null) : nbd;
        nbd = new Nbd(blank(nbd.bindAddress()) ? "127.0.0.1" : nbd.bindAddress(), nbd.port(),
                nbd.unixSocket() == null ? dataDirectory.resolve("nbd.sock") : nbd.unixSocket(),
                blank(nbd.advertisedHost()) ? advertisedHost : nbd.advertisedHost(), Math.max(0, nbd.advertisedPort()),
                blank(nbd.socketGroup()) ? null : nbd.socketGroup().strip(), nbd.tls());
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
        statusInterval = statusInterval == null ? Duration.ofSeconds(2) : statusInterval;
        swarm = swarm == null ? SwarmSettings.defaults() : swarm;
        profileUrl = blank(profileUrl) ? "http://localhost:8083" : profileUrl;
        trace = trace == null ? new Trace(0, null) : trace;
        report = report == null ? new Report(null, null, null) : report;
        cache = cache == null ? new Cache(null, null, null) : cache;
        manifestKeys = manifestKeys == null ? List.of()
                : manifestKeys.stream().filter(k -> !blank(k)).map(String::strip).toList();
    }

    private static final String TRACKER_URL = "bootswarm.agent.tracker-url";
    private static final String SEED_URL = "bootswarm.agent.seed-url";

    /** The tracker replicas' base URLs, in the order they are tried. */
    public List<String> trackerUrls() {
        return RemoteReplicas.baseUrls(TRACKER_URL, trackerUrl);
    }

    /** The seed replicas' base URLs, in the order they are tried; empty to ask the tracker for a live seed. */
    public List<String> seedUrls() {
        return seedUrl.isEmpty() ? List.of() : RemoteReplicas.baseUrls(SEED_URL, seedUrl);
    }

    /** False when the Unix socket was turned off with an empty path. */
    public boolean hasUnixSocket() {
        return !nbd.unixSocket().toString().isEmpty();
    }

    /**
     * Whether this process runs in a Kubernetes pod or in the agent's container image, which sets
     * {@code BOOTSWARM_IN_CONTAINER=true} ({@code /.dockerenv} is no mark: build machines and CI
     * themselves often run in containers, with the agent on their loopback).
     */
    static final class Containers {
        private Containers() {
        }

        static boolean inContainer() {
            return System.getenv("KUBERNETES_SERVICE_HOST") != null
                    || "true".equalsIgnoreCase(System.getenv("BOOTSWARM_IN_CONTAINER"));
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(java.util.Locale.ROOT);
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
