package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.outbox.Outbox;
import io.bootswarm.common.outbox.OutboxRelay;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.web.ProblemException;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.hosts.HostService;
import io.bootswarm.tracker.hosts.HostState;
import io.bootswarm.tracker.hosts.HostView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Fleet launches: validates a request completely (hosts registered and UP, image known to
 * seed-service) before anything is written, then in one transaction stores the launch, one row per
 * host and one {@link LaunchCommand} START per host in the outbox. Agents' {@link LaunchStatus}
 * reports update the host rows, newest sequence wins, within {@link StatusBounds}.
 *
 * <p>A launch is accepted while Kafka is away: its commands wait in the outbox and are sent when Kafka
 * is back. Meanwhile its PENDING hosts show why they wait (the relay's failure, see {@link #view}), and a
 * host not ready by the launch deadline fails ({@link LaunchDeadlines}).
 */
@Service
class LaunchService {

    private static final Logger log = LoggerFactory.getLogger(LaunchService.class);

    /** What {@link #applyStatus} did with a report. */
    enum StatusOutcome { APPLIED, STALE, DROPPED }

    private record Verdict(StatusOutcome outcome, StatusBounds.Violation violation) {

        static Verdict of(StatusOutcome outcome) {
            return new Verdict(outcome, null);
        }

        static Verdict dropped(StatusBounds.Violation violation) {
            return new Verdict(StatusOutcome.DROPPED, violation);
        }
    }

    /** A created or replayed launch. */
    record Created(LaunchView launch, boolean replayed) {
    }

    private final LaunchRepository launches;
    private final LaunchHostRepository launchHosts;
    private final HostService hosts;
    private final SeedImageClient images;
    private final Outbox outbox;
    private final TransactionTemplate tx;
    private final TransactionTemplate readTx;
    private final Clock clock;
    private final TrackerProperties properties;
    private final Counter created;
    private final MeterRegistry meters;
    private final StatusBounds bounds;
    private final OutboxRelay relay;
    private final LaunchProperties launchProperties;

    LaunchService(LaunchRepository launches, LaunchHostRepository launchHosts, HostService hosts,
                  SeedImageClient images, Outbox outbox, PlatformTransactionManager txManager, Clock clock,
                  TrackerProperties properties, MeterRegistry meters, StatusBounds bounds, OutboxRelay relay,
                  LaunchProperties launchProperties) {
        this.launches = launches;
        this.launchHosts = launchHosts;
        this.hosts = hosts;
        this.images = images;
        this.outbox = outbox;
        this.tx = new TransactionTemplate(txManager);
        this.readTx = new TransactionTemplate(txManager);
        this.readTx.setReadOnly(true);
        this.clock = clock;
        this.properties = properties;
        this.meters = meters;
        this.bounds = bounds;
        this.relay = relay;
        this.launchProperties = launchProperties;
        this.created = Counter.builder("bootswarm.tracker.launches").description("launches created")
                .register(meters);
    }

    /**
     * Creates a launch, or with an idempotency key already used for the same request returns that
     * launch again. Nothing is written unless every check passes.
     *
     * @throws ProblemException 400 duplicate or too many hosts, 404 unknown hosts or image, 409 hosts
     *                          DOWN or key reused for a different request, 503 seed-service unavailable
     */
    Created create(LaunchRequest request, String idempotencyKey) {
        List<String> names = request.hosts();
        if (names.size() > properties.maxLaunchHosts()) {
            throw ProblemException.badRequest("too-many-hosts",
                    "a launch may name at most " + properties.maxLaunchHosts() + " hosts, got " + names.size());
        }
        Set<String> unique = new LinkedHashSet<>();
        List<String> duplicates = names.stream().filter(n -> !unique.add(n)).distinct().toList();
        if (!duplicates.isEmpty()) {
            throw ProblemException.badRequest("duplicate-hosts", "hosts named more than once: " + duplicates)
                    .with("hosts", duplicates);
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 255
                || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw ProblemException.badRequest("bad-idempotency-key",
                    "Idempotency-Key must be 1-255 visible ASCII characters");
        }
        String fingerprint = fingerprint(request);
        if (idempotencyKey != null) {
            Optional<Created> replay = replay(idempotencyKey, fingerprint);
            if (replay.isPresent()) {
                return replay.get();
            }
        }

        Map<String, HostView> known = hosts.find(names);
        List<String> unknown = names.stream().filter(n -> !known.containsKey(n)).toList();
        if (!unknown.isEmpty()) {
            throw ProblemException.notFound("unknown-host", "hosts not registered: " + String.join(", ", unknown))
                    .with("hosts", unknown);
        }
        List<String> down = names.stream().filter(n -> known.get(n).state() == HostState.DOWN).toList();
        if (!down.isEmpty()) {
            throw ProblemException.conflict("host-down", "hosts are DOWN (no recent heartbeat): " + String.join(", ", down))
                    .with("hosts", down);
        }

        ImageInfo image;
        try {
            image = images.find(request.imageId()).orElseThrow(() -> ProblemException.notFound("unknown-image",
                    "seed-service has no image " + request.imageId()).with("imageId", request.imageId()));
        } catch (RemoteCallException e) {
            log.warn("cannot check image {} with seed-service: {}", request.imageId(), e.getMessage());
            ProblemException p = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "seed-unavailable",
                    "Service unavailable", "cannot check the image with seed-service: " + e.getMessage());
            p.getHeaders().set("Retry-After", "5");
            throw p;
        }

        try {
            LaunchView view = tx.execute(status -> insert(request, image, idempotencyKey, fingerprint));
            created.increment();
            log.info("launch {} created: image {} ({}) on {}", view.id(), image.name(), image.id(), names);
            return new Created(view, false);
        } catch (DataIntegrityViolationException e) {
            // a concurrent request with the same key won the race
            if (idempotencyKey != null) {
                Optional<Created> replay = replay(idempotencyKey, fingerprint);
                if (replay.isPresent()) {
                    return replay.get();
                }
            }
            throw e;
        }
    }

    private Optional<Created> replay(String idempotencyKey, String fingerprint) {
        return readTx.execute(status -> launches.findByIdempotencyKey(idempotencyKey).map(existing -> {
            if (!existing.requestFingerprint().equals(fingerprint)) {
                throw ProblemException.conflict("idempotency-key-reused",
                        "Idempotency-Key was already used for a different launch request")
                        .with("launchId", existing.getId());
            }
            return new Created(view(existing, launchHosts.findByLaunch(existing.getId())), true);
        }));
    }

    private LaunchView insert(LaunchRequest request, ImageInfo image, String idempotencyKey, String fingerprint) {
        Instant now = now();
        UUID id = UUID.randomUUID();
        String name = image.name() == null || image.name().isBlank() ? request.imageId().toString() : image.name();
        LaunchOptions options = request.resolvedOptions();
        LaunchEntity launch = launches.save(new LaunchEntity(id, request.imageId(), name, image.size(),
                idempotencyKey, fingerprint, now, options));
        launches.flush(); // a duplicate idempotency key fails here, before any command is queued
        List<LaunchHostEntity> rows = new ArrayList<>();
        for (int i = 0; i < request.hosts().size(); i++) {
            String host = request.hosts().get(i);
            rows.add(launchHosts.save(new LaunchHostEntity(new LaunchHostKey(id, host), i, now)));
            outbox.publish(Topics.LAUNCH_COMMANDS, complete(LaunchCommand.of(UUID.randomUUID(), now, id, host,
                    request.imageId(), LaunchCommand.Action.START, options)));
        }
        launchHosts.flush();
        return view(launch, rows);
    }

    /** @throws ProblemException 404 when there is no such launch */
    LaunchView get(UUID id) {
        return readTx.execute(status -> launches.findById(id)
                .map(l -> view(l, launchHosts.findByLaunch(id)))
                .orElseThrow(() -> unknownLaunch(id)));
    }

    /** A page of launches, most recent first. */
    LaunchPage list(int page, int size) {
        return list(page, size, null, false);
    }

    /**
     * A page of launches, most recent first: of image {@code imageId} only when it is not null, and only the
     * live ones (not asked to stop, a host {@linkplain HostLaunchState#LIVE pending, preparing or ready}) when
     * {@code live}.
     */
    LaunchPage list(int page, int size, UUID imageId, boolean live) {
        if (page < 0) {
            throw ProblemException.badRequest("invalid-request", "page must not be negative");
        }
        if (size < 1 || size > properties.maxPageSize()) {
            throw ProblemException.badRequest("invalid-request", "size must be 1-" + properties.maxPageSize());
        }
        PageRequest request = PageRequest.of(page, size, Sort.by(Sort.Order.desc("createdAt"), Sort.Order.desc("id")));
        return readTx.execute(status -> {
            Page<LaunchEntity> p = live
                    ? imageId == null ? launches.findLive(HostLaunchState.LIVE, request)
                    : launches.findLive(imageId, HostLaunchState.LIVE, request)
                    : imageId == null ? launches.findAll(request) : launches.findByImageId(imageId, request);
            Map<UUID, List<LaunchHostEntity>> rows = p.isEmpty() ? Map.of()
                    : launchHosts.findByLaunches(p.map(LaunchEntity::getId).toList()).stream()
                    .collect(Collectors.groupingBy(h -> h.getId().launchId()));
            List<LaunchView> items = p.map(l -> view(l, rows.getOrDefault(l.getId(), List.of()))).toList();
            return new LaunchPage(items, page, size, p.getTotalElements(), p.getTotalPages());
        });
    }

    /**
     * Asks every host of the launch to stop (a STOP command each, through the outbox). Asking again
     * sends nothing more.
     *
     * @throws ProblemException 404 when there is no such launch
     */
    LaunchView stop(UUID id) {
        return tx.execute(status -> {
            LaunchEntity launch = launches.lockById(id).orElseThrow(() -> unknownLaunch(id));
            List<LaunchHostEntity> rows = launchHosts.findByLaunch(id);
            if (launch.stopRequestedAt() == null) {
                requestStop(launch, rows, null);
            }
            return view(launch, rows);
        });
    }

    /**
     * Asks every host of every live launch of {@code imageId} to stop, each STOP carrying {@code reason}, in one
     * transaction. Launches already asked to stop, or whose hosts have all finished, are left alone, so asking
     * again stops only what became live since.
     */
    StoppedLaunches stopLive(UUID imageId, String reason) {
        List<UUID> stopped = tx.execute(status -> {
            List<LaunchEntity> live = launches.lockLive(imageId, HostLaunchState.LIVE);
            for (LaunchEntity launch : live) {
                requestStop(launch, launchHosts.findByLaunch(launch.getId()), reason);
            }
            return live.stream().map(LaunchEntity::getId).toList();
        });
        if (!stopped.isEmpty()) {
            log.info("stop of {} live launch(es) of image {} requested ({}): {}", stopped.size(), imageId, reason,
                    stopped);
            Counter.builder("bootswarm.tracker.launch.image-stops")
                    .description("launches stopped because of their image (e.g. deleted from the catalog)")
                    .register(meters).increment(stopped.size());
        }
        return new StoppedLaunches(imageId, reason, stopped);
    }

    private void requestStop(LaunchEntity launch, List<LaunchHostEntity> rows, String reason) {
        Instant now = now();
        launch.stopRequested(now);
        for (LaunchHostEntity row : rows) {
            outbox.publish(Topics.LAUNCH_COMMANDS, complete(LaunchCommand.stop(UUID.randomUUID(), now,
                    launch.getId(), row.host(), launch.imageId(), reason)));
        }
        log.info("launch {} stop requested on {} hosts{}", launch.getId(), rows.size(),
                reason == null ? "" : " (" + reason + ")");
    }

    /**
     * Applies an agent's report to its launch host row when its sequence is newer than the last
     * applied; older and repeated reports change nothing. Reports out of {@link StatusBounds}, or for a
     * launch or host that does not exist, are dropped.
     */
    StatusOutcome applyStatus(LaunchStatus s) {
        Verdict verdict = bounds.check(s).map(Verdict::dropped).orElseGet(() -> tx.execute(status -> apply(s)));
        if (verdict.violation() != null) {
            bounds.drop(s, verdict.violation());
        }
        Counter.builder("bootswarm.tracker.launch.status").description("launch status reports by outcome")
                .tag("outcome", verdict.outcome().name().toLowerCase(java.util.Locale.ROOT)).register(meters)
                .increment();
        return verdict.outcome();
    }

    private Verdict apply(LaunchStatus s) {
        Optional<LaunchHostEntity> found = launchHosts.lock(s.launchId(), s.host());
        if (found.isEmpty()) {
            return Verdict.dropped(launches.existsById(s.launchId())
                    ? new StatusBounds.Violation(StatusBounds.Reason.FOREIGN_HOST, "the launch has no such host")
                    : new StatusBounds.Violation(StatusBounds.Reason.UNKNOWN_LAUNCH, "no such launch"));
        }
        LaunchHostEntity row = found.get();
        if (s.sequence() <= row.sequence()) {
            log.debug("stale status {} for launch {} host {} (have {}) skipped", s.sequence(), s.launchId(),
                    s.host(), row.sequence());
            return Verdict.of(StatusOutcome.STALE);
        }
        Optional<StatusBounds.Violation> gap = bounds.checkSequence(row.sequence(), s.sequence());
        if (gap.isPresent()) {
            return Verdict.dropped(gap.get());
        }
        HostLaunchState before = row.state();
        row.apply(s, now());
        if (before != row.state()) {
            if (row.state() == HostLaunchState.FAILED) {
                log.info("launch {} host {}: {} -> FAILED: {}", s.launchId(), s.host(), before, s.detail());
            } else if (row.state() == HostLaunchState.READY) {
                log.info("launch {} host {}: {} -> READY at {}", s.launchId(), s.host(), before, s.nbdUri());
            } else {
                log.info("launch {} host {}: {} -> {}", s.launchId(), s.host(), before, row.state());
            }
        }
        return Verdict.of(StatusOutcome.APPLIED);
    }

    /**
     * {@code c}, when it has every field an agent needs to carry it out; otherwise an exception that rolls back
     * the transaction that would have queued it. An agent fails a command without them, but a command that
     * never leaves the tracker leaves no launch waiting for it.
     */
    static LaunchCommand complete(LaunchCommand c) {
        List<String> missing = new ArrayList<>();
        if (c.eventId() == null) {
            missing.add("eventId");
        }
        if (c.at() == null) {
            missing.add("at");
        }
        if (c.launchId() == null) {
            missing.add("launchId");
        }
        if (c.host() == null || c.host().isBlank()) {
            missing.add("host");
        }
        if (c.imageId() == null) {
            missing.add("imageId");
        }
        if (c.action() == null) {
            missing.add("action");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("refusing to send a launch command without " + missing + ": " + c);
        }
        return c;
    }

    /** Now, at the precision PostgreSQL stores, so that a view built before and after storing is the same. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * The launch as the API shows it. While the outbox relay cannot send (Kafka away), each PENDING host
     * without a detail of its own gets one starting {@code waiting for Kafka}: since when, why, and by when
     * it must be ready.
     */
    private LaunchView view(LaunchEntity l, List<LaunchHostEntity> rows) {
        String waiting = relay.failure().map(f -> "waiting for Kafka: the tracker cannot send launch commands since "
                + f.since().truncatedTo(ChronoUnit.SECONDS) + " (" + f.error() + "); they are sent when Kafka is"
                + " back, and a host not ready by " + l.createdAt().plus(launchProperties.deadline())
                .truncatedTo(ChronoUnit.SECONDS) + " fails").orElse(null);
        List<LaunchHostView> hostViews = rows.stream().map(LaunchHostEntity::view)
                .map(h -> waiting == null || h.state() != HostLaunchState.PENDING || h.detail() != null ? h
                        : new LaunchHostView(h.host(), h.state(), h.nbdUri(), h.nbdUnixUri(), h.piecesPresent(),
                        h.piecesTotal(), h.bytesFetched(), waiting, h.updatedAt()))
                .toList();
        LaunchState state = LaunchState.derive(hostViews.stream().map(LaunchHostView::state).toList());
        return new LaunchView(l.getId(), l.imageId(), l.imageName(), l.imageSize(), l.createdAt(),
                l.stopRequestedAt(), LaunchOptionsBody.of(l.options()), state, hostViews);
    }

    private static ProblemException unknownLaunch(UUID id) {
        return ProblemException.notFound("unknown-launch", "no launch " + id).with("launchId", id);
    }

    /**
     * Identifies a request for idempotency: the image, the set of hosts and the resolved options (in
     * {@link LaunchOptions}'s record text, as stored fingerprints were made).
     */
    static String fingerprint(LaunchRequest r) {
        String canonical = r.imageId() + "\n" + r.resolvedOptions() + "\n"
                + r.hosts().stream().sorted().collect(Collectors.joining("\n"));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
