package io.bootswarm.tracker.stock;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.remote.RemoteCallException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether a stock BitTorrent client's announce is answered: it must carry a current passkey
 * ({@link Passkeys}) and name the swarm of an image an admin opened to stock clients (asked of
 * seed-service, the answer kept {@code bootswarm.tracker.stock-clients.open-cache-ttl}). When the
 * seed cannot answer, the announce is refused (fail closed). Refusals are counted in
 * {@code bootswarm.tracker.stock.announce.refused{reason}}.
 *
 * <p>When a swarm's answer runs out, one announce asks the seed and the others of that moment wait for
 * its answer, rather than each asking (under load that herd made the seed's answers late, opened the
 * circuit breaker and refused every stock client until it closed). That the seed cannot answer is
 * logged at most every {@value #WARN_EVERY_SECONDS} s; the counter counts every refusal.
 */
@Component
@EnableConfigurationProperties(StockClientProperties.class)
public class StockAccess {

    private static final Logger log = LoggerFactory.getLogger(StockAccess.class);

    static final int WARN_EVERY_SECONDS = 10;

    private record Cached(boolean open, Instant until) {
    }

    private final Passkeys passkeys;
    private final SeedStockClient seed;
    private final StockClientProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Map<SwarmId, Cached> open = new ConcurrentHashMap<>();
    private final Map<SwarmId, CompletableFuture<Boolean>> asking = new ConcurrentHashMap<>();
    private final AtomicReference<Instant> lastWarning = new AtomicReference<>(Instant.MIN);

    StockAccess(Passkeys passkeys, SeedStockClient seed, StockClientProperties properties, Clock clock,
                MeterRegistry meters) {
        this.passkeys = passkeys;
        this.seed = seed;
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
    }

    /**
     * Why the announce of a stock client must be refused (a {@code failure reason} for it), or empty
     * when it may be answered.
     *
     * @param passkey the passkey of its announce URL, or null
     */
    public Optional<String> refusal(String passkey, SwarmId swarm) {
        if (passkey == null || passkey.isEmpty()) {
            return refuse("no-passkey", "a passkey is required: announce to /announce/<passkey> "
                    + "(POST /api/v1/passkeys issues yours; GET /api/v1/images/{id}/torrent embeds it)");
        }
        if (passkeys.owner(passkey).isEmpty()) {
            return refuse("unknown-passkey", "unknown or revoked passkey");
        }
        try {
            if (!isOpen(swarm)) {
                return refuse("not-open", "this swarm is not open to BitTorrent clients");
            }
        } catch (RemoteCallException e) {
            Instant now = clock.instant();
            Instant last = lastWarning.get();
            if (!now.isBefore(last.plusSeconds(WARN_EVERY_SECONDS)) && lastWarning.compareAndSet(last, now)) {
                log.warn("cannot ask seed-service whether swarm {} is open to stock clients, refusing its stock "
                        + "announces (logged at most every {} s): {}", swarm, WARN_EVERY_SECONDS, e.getMessage());
            }
            return refuse("seed-unavailable", "the tracker cannot check this swarm now; try again later");
        }
        return Optional.empty();
    }

    /** Whether the seed serves {@code swarm} to stock clients (cached; one question to the seed at a time). */
    boolean isOpen(SwarmId swarm) throws RemoteCallException {
        Instant now = clock.instant();
        Cached c = open.get(swarm);
        if (c != null && now.isBefore(c.until())) {
            return c.open();
        }
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> running = asking.putIfAbsent(swarm, mine);
        if (running != null) {
            try {
                return running.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RemoteCallException r) {
                    throw r;
                }
                throw e;
            }
        }
        try {
            boolean answer = seed.bySwarm(swarm).map(SeedStockClient.StockState::open).orElse(false);
            open.put(swarm, new Cached(answer, now.plus(properties.openCacheTtl())));
            if (open.size() > 100_000) {
                open.entrySet().removeIf(e -> !now.isBefore(e.getValue().until()));
            }
            mine.complete(answer);
            return answer;
        } catch (RemoteCallException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            asking.remove(swarm, mine);
        }
    }

    private Optional<String> refuse(String reason, String message) {
        Counter.builder("bootswarm.tracker.stock.announce.refused").tag("reason", reason)
                .description("BitTorrent announces refused: no or unknown passkey, swarm not open to stock clients")
                .register(meters).increment();
        return Optional.of(message);
    }
}
