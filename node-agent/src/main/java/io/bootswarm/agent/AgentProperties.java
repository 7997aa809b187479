package io.bootswarm.agent;

import io.bootswarm.agent.swarm.SwarmSettings;
import io.bootswarm.common.manifest.Manifest;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code bootswarm.agent.*}: everything an agent needs to know about its host and the fleet.
 *
 * @param hostName        this host's name in the tracker's registry (default: the machine's host name)
 * @param advertisedHost  the address other hosts and the hypervisor use to reach this agent
 * @param apiUrl          this agent's REST base URL as others see it (default from advertisedHost and server.port)
 * @param dataDirectory   piece store, manifests and disks live here
 * @param trackerUrl      tracker-service base URL
 * @param seedUrl         seed-service base URL; empty to ask the tracker for a live seed
 * @param pieceSize       the fleet-wide piece size this host's store holds
 * @param peerPort        peer wire port (0 = any free port)
 * @param nbd             NBD export settings
 * @param heartbeatInterval how often to heartbeat to the tracker
 * @param statusInterval  how often a launch's progress is reported while it changes
 * @param swarm           swarm behaviour
 * @param profileUrl      profile-service base URL, where launches get their access profiles
 * @param trace           access recording
 * @param report          swarm reports to allocator-service
 */
@ConfigurationProperties("bootswarm.agent")
public record AgentProperties(String hostName, String advertisedHost, String apiUrl, Path dataDirectory,
                              String trackerUrl, String seedUrl, int pieceSize, int peerPort, Nbd nbd,
                              Duration heartbeatInterval, Duration statusInterval, SwarmSettings swarm,
                              String profileUrl, Trace trace, Report report) {

    /**
     * @param bindAddress where the NBD server listens (NBD has no authentication: keep it on a
     *                    trusted network; the default is loopback)
     * @param port        NBD TCP port (0 = any free port)
     * @param unixSocket  path of the NBD Unix socket, empty for none (default: {@code <data>/nbd.sock})
     */
    public record Nbd(String bindAddress, int port, Path unixSocket) {
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

    public AgentProperties {
        hostName = blank(hostName) ? localHostName() : hostName;
        advertisedHost = blank(advertisedHost) ? "127.0.0.1" : advertisedHost;
        dataDirectory = dataDirectory == null ? Path.of("data", "agent") : dataDirectory;
        trackerUrl = blank(trackerUrl) ? "http://localhost:8080" : trackerUrl;
        seedUrl = blank(seedUrl) ? "" : seedUrl;
        pieceSize = pieceSize <= 0 ? Manifest.DEFAULT_PIECE_SIZE : pieceSize;
        nbd = nbd == null ? new Nbd("127.0.0.1", 10809, null) : nbd;
        nbd = new Nbd(blank(nbd.bindAddress()) ? "127.0.0.1" : nbd.bindAddress(), nbd.port(),
                nbd.unixSocket() == null ? dataDirectory.resolve("nbd.sock") : nbd.unixSocket());
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
        statusInterval = statusInterval == null ? Duration.ofSeconds(2) : statusInterval;
        swarm = swarm == null ? SwarmSettings.defaults() : swarm;
        profileUrl = blank(profileUrl) ? "http://localhost:8083" : profileUrl;
        trace = trace == null ? new Trace(0, null) : trace;
        report = report == null ? new Report(null, null, null) : report;
    }

    /** False when the Unix socket was turned off with an empty path. */
    public boolean hasUnixSocket() {
        return !nbd.unixSocket().toString().isEmpty();
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
