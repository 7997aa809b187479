package io.bootswarm.agent.tracker;

import io.bootswarm.agent.swarm.Announcer;
import io.bootswarm.agent.swarm.Peer;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenKey;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.remote.RemoteReplicas;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;

/**
 * The agent's calls to tracker-service: host registration and heartbeat, the list of live seeds,
 * swarm announces (which bring the peer access token for the swarm) and the keys peer tokens are
 * signed with. Every call goes through {@link RemoteReplicas} named {@code tracker}: with one tracker URL a
 * {@link RemoteCall} through the resilience4j instances named {@code tracker}; with several (replicas without a
 * load balancer in front) to the current one, moving on to the next when it fails there, each replica with a
 * circuit breaker of its own configured as {@code tracker}. A failed call throws {@link RemoteCallException}.
 *
 * <p>After repeated failures the circuit breaker opens: calls fail fast, without a request, for its open
 * period; then one call goes through as its probe, and the breaker closes if it succeeds and opens again
 * if it fails. A launch's call ({@link #seedsForLaunch()}) does not fail on the open breaker at once: it tries
 * again until the open period has passed and a call gets through, for at most {@code breakerWait} on
 * the clock, so that the first launch after a tracker outage succeeds.
 */
public final class TrackerClient implements Announcer, AutoCloseable {

    /** Body of {@code POST /api/v1/hosts}. */
    record HostRegistration(String name, String apiUrl, String peerHost, int peerPort) {
    }

    /** A live seed as {@code GET /api/v1/seeds} lists it. */
    public record SeedInfo(String id, String peerHost, int peerPort, String apiUrl) {
    }

    record AnnounceRequest(String swarmId, String peerId, String host, int port, long left, long uploaded,
                           long downloaded, String event, int numWant) {
    }

    record AnnouncePeer(String peerId, String host, int port, boolean seed, boolean crossImage) {
    }

    record AnnounceResponse(long interval, List<AnnouncePeer> peers, String peerToken) {
    }

    /**
     * Peers asked for per announce: the tracker's most (200). The agent connects to at most
     * {@code maxConnections} of them, but ranks itself among all of them for its seed partition, which
     * is exact (one owner per piece) only while every agent is named to every other.
     */
    static final int NUM_WANT = 200;

    /** How often a call waiting out the open circuit breaker tries again. */
    static final Duration BREAKER_RETRY = Duration.ofMillis(100);

    private static final Logger log = LoggerFactory.getLogger(TrackerClient.class);

    private final RemoteReplicas tracker;
    private final String advertisedHost;
    private final Duration breakerWait;
    private final InstantSource clock;
    private final Counter waitedThrough;
    private final Counter gaveUp;

    /** A client whose calls fail at once on the open circuit breaker. */
    public TrackerClient(RestClient http, String trackerUrl, RemoteCall tracker, String advertisedHost) {
        this(http, trackerUrl, tracker, advertisedHost, Duration.ZERO, InstantSource.system(),
                new SimpleMeterRegistry());
    }

    /**
     * @param http        a client with {@code trackerUrl} as its base URL
     * @param trackerUrl  the tracker's base URL
     * @param tracker     the resilience4j instances calls go through; closed with this client
     * @param breakerWait how long a launch's call waits for the open circuit breaker to let a call through
     * @param clock       what {@code breakerWait} is measured on
     * @param meters      where the waits and their outcomes are counted
     */
    public TrackerClient(RestClient http, String trackerUrl, RemoteCall tracker, String advertisedHost,
                         Duration breakerWait, InstantSource clock, MeterRegistry meters) {
        this(RemoteReplicas.single(trackerUrl, http, tracker, meters), advertisedHost, breakerWait, clock, meters);
    }

    /**
     * @param tracker     the tracker's replicas (one or more base URLs) calls go to; closed with this client
     * @param breakerWait how long a launch's call waits for the open circuit breaker to let a call through
     * @param clock       what {@code breakerWait} is measured on
     * @param meters      where the waits and their outcomes are counted
     */
    public TrackerClient(RemoteReplicas tracker, String advertisedHost, Duration breakerWait, InstantSource clock,
                         MeterRegistry meters) {
        this.tracker = tracker;
        this.advertisedHost = advertisedHost;
        this.breakerWait = breakerWait;
        this.clock = clock;
        String name = "bootswarm.agent.tracker.breaker.waits";
        String description = "launch calls to the tracker that found its circuit breaker open and waited (bound: "
                + "bootswarm.agent.tracker.breaker-wait), by outcome";
        this.waitedThrough = Counter.builder(name).tag("outcome", "through").description(description).register(meters);
        this.gaveUp = Counter.builder(name).tag("outcome", "gave-up").description(description).register(meters);
    }

    /** Registers (or re-registers) this host. */
    public void register(String name, String apiUrl, int peerPort) throws IOException {
        call(http -> http.post().uri("/api/v1/hosts").body(new HostRegistration(name, apiUrl, advertisedHost, peerPort))
                .retrieve().toBodilessEntity());
    }

    /** Heartbeats; false if the tracker does not know this host (it must register again). */
    public boolean heartbeat(String name) throws IOException {
        try {
            call(http -> http.post().uri("/api/v1/hosts/{name}/heartbeat", name).retrieve().toBodilessEntity());
            return true;
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** The live seeds; fails at once while the circuit breaker is open. */
    public List<SeedInfo> seeds() throws IOException {
        SeedInfo[] seeds = call(http -> http.get().uri("/api/v1/seeds").retrieve().body(SeedInfo[].class));
        return seeds == null ? List.of() : List.of(seeds);
    }

    /**
     * The live seeds, for a launch (which needs one when no seed URL is configured): while the circuit
     * breaker is open this waits, for at most {@code breakerWait}, until a call gets through.
     */
    public List<SeedInfo> seedsForLaunch() throws IOException {
        SeedInfo[] seeds = callWaitingOutBreaker(http -> http.get().uri("/api/v1/seeds").retrieve()
                .body(SeedInfo[].class));
        return seeds == null ? List.of() : List.of(seeds);
    }

    @Override
    public Result announce(Announce a) throws IOException {
        AnnounceResponse r = call(http -> http.post().uri("/api/v1/announce")
                .body(new AnnounceRequest(a.swarm().hex(), HexFormat.of().formatHex(a.peerId()), advertisedHost,
                        a.port(), a.left(), a.uploaded(), a.downloaded(), a.event(), NUM_WANT))
                .retrieve().body(AnnounceResponse.class));
        if (r == null) {
            throw new IOException("empty announce response");
        }
        return new Result(Duration.ofSeconds(Math.max(1, r.interval())),
                r.peers().stream().map(p -> new Peer(p.host(), p.port(), p.seed())).toList(),
                r.peers().stream().filter(p -> !p.seed() && !p.crossImage() && p.peerId() != null)
                        .map(AnnouncePeer::peerId).toList(),
                token(r.peerToken()));
    }

    private static byte[] token(String base64) throws IOException {
        if (base64 == null) {
            return null;
        }
        try {
            return PeerToken.fromBase64(base64).encode();
        } catch (IllegalArgumentException e) {
            throw new IOException("the tracker sent a malformed peer token", e);
        }
    }

    /** The keys the tracker signs peer access tokens with ({@code GET /api/v1/peer-token-keys}). */
    public List<PeerTokenKey> peerTokenKeys() throws IOException {
        PeerTokenKey[] keys = call(http -> http.get().uri("/api/v1/peer-token-keys").retrieve()
                .body(PeerTokenKey[].class));
        return keys == null ? List.of() : List.of(keys);
    }

    private <T> T call(RemoteReplicas.Request<T> request) throws RemoteCallException {
        return tracker.call(request);
    }

    /**
     * {@link #call}, tried again every {@link #BREAKER_RETRY} while the open circuit breaker turns it away
     * and {@code breakerWait} has not passed on the clock. The first try after the open period is the
     * breaker's probe (or follows the probe another call made); a probe that fails opens the breaker again,
     * and the wait goes on. A failure before the breaker turned a try away, and a 4xx answer, end it at once.
     */
    private <T> T callWaitingOutBreaker(RemoteReplicas.Request<T> request) throws RemoteCallException {
        Instant until = clock.instant().plus(breakerWait);
        boolean waited = false;
        while (true) {
            try {
                T result = call(request);
                if (waited) {
                    waitedThrough.increment();
                    log.info("tracker call got through the circuit breaker after waiting");
                }
                return result;
            } catch (RemoteCallException e) {
                boolean turnedAway = e.turnedAway();
                if (!turnedAway && (!waited || e.status() != 0)) {
                    throw e;
                }
                if (!clock.instant().isBefore(until)) {
                    if (!waited) {
                        throw e;
                    }
                    gaveUp.increment();
                    RemoteCallException out = new RemoteCallException(e.getMessage() + "; no call got through in "
                            + breakerWait.toMillis() + " ms of waiting (bootswarm.agent.tracker.breaker-wait)");
                    out.addSuppressed(e);
                    throw out;
                }
                if (!waited) {
                    log.info("tracker circuit breaker is open; waiting up to {} ms for it to let a call through",
                            breakerWait.toMillis());
                    waited = true;
                }
                try {
                    Thread.sleep(BREAKER_RETRY);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    RemoteCallException out = new RemoteCallException("interrupted while waiting for the tracker's"
                            + " circuit breaker to let a call through");
                    out.addSuppressed(e);
                    throw out;
                }
            }
        }
    }

    @Override
    public void close() {
        tracker.close();
    }
}
