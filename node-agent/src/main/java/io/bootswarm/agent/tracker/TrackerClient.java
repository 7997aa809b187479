package io.bootswarm.agent.tracker;

import io.bootswarm.agent.swarm.Announcer;
import io.bootswarm.agent.swarm.Peer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * The agent's calls to tracker-service: host registration and heartbeat, the list of live seeds,
 * and swarm announces. Every call goes through resilience4j (retry with backoff inside a circuit
 * breaker, instance {@code tracker}); the HTTP client carries the timeouts.
 */
public final class TrackerClient implements Announcer {

    /** Body of {@code POST /api/v1/hosts}. */
    record HostRegistration(String name, String apiUrl, String peerHost, int peerPort) {
    }

    /** A live seed as {@code GET /api/v1/seeds} lists it. */
    public record SeedInfo(String id, String peerHost, int peerPort, String apiUrl) {
    }

    record AnnounceRequest(String swarmId, String peerId, String host, int port, long left, long uploaded,
                           long downloaded, String event, int numWant) {
    }

    record AnnouncePeer(String peerId, String host, int port, boolean seed) {
    }

    record AnnounceResponse(long interval, List<AnnouncePeer> peers) {
    }

    private final RestClient http;
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final String advertisedHost;

    public TrackerClient(RestClient http, CircuitBreaker breaker, Retry retry, String advertisedHost) {
        this.http = http;
        this.breaker = breaker;
        this.retry = retry;
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
        } catch (IOException e) {
            if (e.getCause() instanceof HttpClientErrorException h && h.getStatusCode() == HttpStatus.NOT_FOUND) {
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
                        a.port(), a.left(), a.uploaded(), a.downloaded(), a.event(), 50))
                .retrieve().body(AnnounceResponse.class));
        if (r == null) {
            throw new IOException("empty announce response");
        }
        return new Result(Duration.ofSeconds(Math.max(1, r.interval())),
                r.peers().stream().map(p -> new Peer(p.host(), p.port(), p.seed())).toList());
    }

    private <T> T call(Supplier<T> request) throws IOException {
        try {
            return Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, request)).get();
        } catch (RestClientException | io.github.resilience4j.circuitbreaker.CallNotPermittedException e) {
            throw new IOException("tracker call failed: " + e.getMessage(), e);
        }
    }
}
