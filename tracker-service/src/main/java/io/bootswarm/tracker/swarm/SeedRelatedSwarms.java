package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.seeds.SeedServices;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriComponentsBuilder;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link RelatedSwarms} from seed-service's {@code GET /api/v1/swarms/related?swarmId=}, cached per
 * swarm for {@code bootswarm.tracker.related-swarms-ttl}. A lookup asks every live registered
 * seed-service in turn, then {@code bootswarm.tracker.seed-url}, and takes the first answer (a 404,
 * "not in the catalog", is one): {@link SeedServices}.
 *
 * <p>An announce never waits long and never fails for it: a swarm seen for the first time (or
 * whose entry expired) starts a lookup in the background and waits for it at most
 * {@code related-swarms-wait}, meanwhile answering with what was known before (or nothing). A
 * failed lookup (no seed-service answered) counts as "no related swarms" and is
 * retried after {@code related-swarms-retry}; a 404 (a swarm not in the catalog) is an answer and is
 * cached like any other.
 */
@Component
class SeedRelatedSwarms implements RelatedSwarms, AutoCloseable {


    /** seed-service's answer, one element. */
    record RelatedSwarmView(String swarmId, UUID imageId, long sharedPieces) {
    }

    /** A lookup (maybe still running) and what was known before it. */
    private record Entry(CompletableFuture<List<Related>> lookup, Instant started, List<Related> before) {

        Optional<List<Related>> result() {
            return lookup.isDone() && !lookup.isCompletedExceptionally() ? Optional.of(lookup.join()) : Optional.empty();
        }
    }

    private final ConcurrentMap<SwarmId, Entry> cache = new ConcurrentHashMap<>();
    private final TrackerProperties properties;
    private final Clock clock;
    private final SeedServices seeds;
    private final ExecutorService lookups = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("related-swarms-", 0).factory());
    private final Counter failures;
    private final Counter timeouts;

    SeedRelatedSwarms(SeedServices seeds, TrackerProperties properties, Clock clock, MeterRegistry meters) {
        this.seeds = seeds;
        this.properties = properties;
        this.clock = clock;
        this.failures = Counter.builder("bootswarm.tracker.related.lookups").tag("outcome", "failed")
                .description("lookups of related swarms at seed-service, by outcome").register(meters);
        this.timeouts = Counter.builder("bootswarm.tracker.related.lookups").tag("outcome", "late")
                .description("lookups of related swarms at seed-service, by outcome").register(meters);
    }

    @Override
    public List<Related> of(SwarmId swarm) {
        Instant now = clock.instant();
        Entry entry = cache.compute(swarm, (id, old) -> expired(old, now) ? start(id, old, now) : old);
        Optional<List<Related>> done = entry.result();
        if (done.isPresent() || entry.lookup().isDone()) {
            return done.orElse(List.of());
        }
        try {
            return entry.lookup().get(properties.relatedSwarmsWait().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            timeouts.increment();
            return entry.before();
        } catch (ExecutionException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return entry.before();
        }
    }

    private boolean expired(Entry e, Instant now) {
        if (e == null) {
            return true;
        }
        if (!e.lookup().isDone()) {
            return false;
        }
        Duration keep = e.result().isPresent() ? properties.relatedSwarmsTtl() : properties.relatedSwarmsRetry();
        return !now.isBefore(e.started().plus(keep));
    }

    private Entry start(SwarmId swarm, Entry old, Instant now) {
        List<Related> before = old == null ? List.of() : old.result().orElse(List.of());
        CompletableFuture<List<Related>> lookup = CompletableFuture.supplyAsync(() -> fetch(swarm), lookups);
        return new Entry(lookup, now, before);
    }

    /**
     * Asks the seed-services in turn until one answers ({@link SeedServices}); a 404 means no related swarms.
     * One failure is counted when none answered.
     */
    private List<Related> fetch(SwarmId swarm) {
        try {
            return seeds.call("related swarms of " + swarm.hex(), base -> ask(base, swarm));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return List.of();
            }
            failures.increment();
            throw new CompletionException(e);
        }
    }

    private List<Related> ask(URI base, SwarmId swarm) {
        URI uri = UriComponentsBuilder.fromUri(base).path("/api/v1/swarms/related")
                .queryParam("swarmId", swarm.hex()).build().toUri();
        List<RelatedSwarmView> views = seeds.http().get().uri(uri).accept(MediaType.APPLICATION_JSON).retrieve()
                .body(new ParameterizedTypeReference<List<RelatedSwarmView>>() {
                });
        return views == null ? List.of() : views.stream()
                .filter(v -> v.swarmId() != null && v.swarmId().matches("[0-9a-fA-F]{40}"))
                .map(v -> new Related(SwarmId.parse(v.swarmId().toLowerCase(Locale.ROOT)), v.sharedPieces()))
                .filter(r -> !r.swarm().equals(swarm))
                .toList();
    }

    /** Whether a lookup of {@code swarm} was started and is done, answered or failed. */
    boolean lookupDone(SwarmId swarm) {
        Entry e = cache.get(swarm);
        return e != null && e.lookup().isDone();
    }

    /** Whether the last lookup of {@code swarm} is done and failed: no seed-service answered it. */
    boolean lookupFailed(SwarmId swarm) {
        Entry e = cache.get(swarm);
        return e != null && e.lookup().isCompletedExceptionally();
    }

    /** Drops entries long expired, so swarms no one announces in any more are forgotten. */
    @Scheduled(fixedDelayString = "${bootswarm.tracker.sweep-interval:1s}")
    void sweep() {
        Instant horizon = clock.instant().minus(properties.relatedSwarmsTtl().multipliedBy(2));
        cache.values().removeIf(e -> e.lookup().isDone() && e.started().isBefore(horizon));
    }

    @Override
    public void close() {
        lookups.shutdownNow();
    }
}
