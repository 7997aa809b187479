package io.bootswarm.agent.tracker;

import io.bootswarm.agent.swarm.Announcer;
import io.bootswarm.agent.swarm.Peer;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenKey;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The agent's calls to tracker-service: host registration and heartbeat, the list of live seeds,
 * swarm announces (which bring the peer access token for the swarm) and the keys peer tokens are
 * signed with. Every call is a {@link RemoteCall} through the resilience4j instances named
 * {@code tracker}; a failed one throws {@link RemoteCallException}.
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

    private final RestClient http;
    private final String trackerUrl;
    private final RemoteCall tracker;
    private final String advertisedHost;

    /**
     * @param http       a client with {@code trackerUrl} as its base URL
     * @param trackerUrl the tracker's base URL
     * @param tracker    the resilience4j instances calls go through; closed with this client
     */
    public TrackerClient(RestClient http, String trackerUrl, RemoteCall tracker, String advertisedHost) {
        this.http = http;
        this.trackerUrl = trackerUrl;
        this.tracker = tracker;
        this.advertisedHost = advertisedHost;
    }

    /** Registers (or re-registers) this host. */
    public void register(String name, String apiUrl, int peerPort) throws IOException {
        call(() -> http.post().uri("/api/v1/hosts").body(new HostRegistration(name, apiUrl, advertisedHost, peerPort))
                .retrieve().toBodilessEntity());
    }

    /** Heartbeats; false if the tracker does not know this host (it must register again). */
    public boolean heartbeat(String name) throws IOException {
        try {
            call(() -> http.post().uri("/api/v1/hosts/{name}/heartbeat", name).retrieve().toBodilessEntity());
            return true;
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return false;
            }
            throw e;
        }
    }

    public List<SeedInfo> seeds() throws IOException {
        SeedInfo[] seeds = call(() -> http.get().uri("/api/v1/seeds").retrieve().body(SeedInfo[].class));
        return seeds == null ? List.of() : List.of(seeds);
    }

    @Override
    public Result announce(Announce a) throws IOException {
        AnnounceResponse r = call(() -> http.post().uri("/api/v1/announce")
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
        PeerTokenKey[] keys = call(() -> http.get().uri("/api/v1/peer-token-keys").retrieve()
                .body(PeerTokenKey[].class));
        return keys == null ? List.of() : List.of(keys);
    }

    private <T> T call(Callable<T> request) throws RemoteCallException {
        return tracker.call(trackerUrl, request);
    }

    @Override
    public void close() {
        tracker.close();
    }
}
