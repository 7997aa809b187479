package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.PreheatCommand;
import io.bootswarm.common.events.PreheatStatus;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.outbox.Outbox;
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
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Preheats: an image's pieces fetched into hosts' piece caches through the swarm before any launch, so that a
 * later launch there reads them without waiting. Shaped like {@link LaunchService}: a request is checked
 * completely (hosts registered and UP, image known to seed-service, scope and workload) before anything is
 * written; then one transaction stores the preheat, a row per host and a {@link PreheatCommand} START per host
 * in the outbox. Agents' {@link PreheatStatus} reports update the host rows, newest sequence wins. Cancelling
 * sends each host a CANCEL.
 */
@Service
class PreheatService {

    private static final Logger log = LoggerFactory.getLogger(PreheatService.class);

    private final PreheatRepository preheats;
    private final PreheatHostRepository preheatHosts;
    private final HostService hosts;
    private final SeedImageClient images;
    private final Outbox outbox;
    private final TransactionTemplate tx;
    private final TransactionTemplate readTx;
    private final Clock clock;
    private final TrackerProperties properties;
    private final MeterRegistry meters;
    private final Counter created;

    PreheatService(PreheatRepository preheats, PreheatHostRepository preheatHosts, HostService hosts,
                   SeedImageClient images, Outbox outbox, PlatformTransactionManager txManager, Clock clock,
                   TrackerProperties properties, MeterRegistry meters) {
        this.preheats = preheats;
        this.preheatHosts = preheatHosts;
        this.hosts = hosts;
        this.images = images;
        this.outbox = outbox;
        this.tx = new TransactionTemplate(txManager);
        this.readTx = new TransactionTemplate(txManager);
        this.readTx.setReadOnly(true);
        this.clock = clock;
        this.properties = properties;
        this.meters = meters;
        this.created = Counter.builder("bootswarm.tracker.preheats").description("preheats created")
                .register(meters);
    }

    /**
     * Creates a preheat. Nothing is written unless every check passes.
     *
     * @throws ProblemException 400 duplicate or too many hosts, bad scope or workload; 404 unknown hosts or
     *                          image; 409 hosts DOWN; 503 seed-service unavailable
     */
    PreheatView create(PreheatRequest request) {
        List<String> names = request.hosts();
        if (names.size() > properties.maxLaunchHosts()) {
            throw ProblemException.badRequest("too-many-hosts",
                    "a preheat may name at most " + properties.maxLaunchHosts() + " hosts, got " + names.size());
        }
        Set<String> unique = new LinkedHashSet<>();
        List<String> duplicates = names.stream().filter(n -> !unique.add(n)).distinct().toList();
        if (!duplicates.isEmpty()) {
            throw ProblemException.badRequest("duplicate-hosts", "hosts named more than once: " + duplicates)
                    .with("hosts", duplicates);
        }
        PreheatCommand.Scope scope = scope(request.scope());
        String workload = request.workload() == null ? LaunchOptions.DEFAULT_WORKLOAD : request.workload();
        if (!LaunchOptions.isValidWorkload(workload)) {
            throw ProblemException.badRequest("invalid-workload", "workload must match "
                    + LaunchOptions.WORKLOAD_PATTERN).with("workload", workload);
        }

        Map<String, HostView> known = hosts.find(names);
        List<String> unknown = names.stream().filter(n -> !known.containsKey(n)).toList();
        if (!unknown.isEmpty()) {
            throw ProblemException.notFound("unknown-host", "hosts not registered: " + String.join(", ", unknown))
                    .with("hosts", unknown);
        }
        List<String> down = names.stream().filter(n -> known.get(n).state() == HostState.DOWN).toList();
        if (!down.isEmpty()) {
            throw ProblemException.conflict("host-down", "hosts are DOWN (no recent heartbeat): "
                    + String.join(", ", down)).with("hosts", down);
        }
        ImageInfo image = image(request.imageId());

        PreheatView view = tx.execute(status -> insert(request, image, workload, scope));
        created.increment();
        log.info("preheat {} created: image {} ({}), scope {}, workload {}, on {}", view.id(), image.name(),
                image.id(), scope, workload, names);
        return view;
    }

    private static PreheatCommand.Scope scope(String text) {
        if (text == null) {
            return PreheatCommand.Scope.PROFILE;
        }
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "profile" -> PreheatCommand.Scope.PROFILE;
            case "all" -> PreheatCommand.Scope.ALL;
            default -> throw ProblemException.badRequest("invalid-scope",
                    "scope must be 'profile' or 'all', got '" + text + "'").with("scope", text);
        };
    }

    private ImageInfo image(UUID imageId) {
        try {
            return images.find(imageId).orElseThrow(() -> ProblemException.notFound("unknown-image",
                    "seed-service has no image " + imageId).with("imageId", imageId));
        } catch (RemoteCallException e) {
            log.warn("cannot check image {} with seed-service: {}", imageId, e.getMessage());
            ProblemException p = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "seed-unavailable",
                    "Service unavailable", "cannot check the image with seed-service: " + e.getMessage());
            p.getHeaders().set("Retry-After", "5");
            throw p;
        }
    }

    private PreheatView insert(PreheatRequest request, ImageInfo image, String workload, PreheatCommand.Scope scope) {
        Instant now = now();
        UUID id = UUID.randomUUID();
        String name = image.name() == null || image.name().isBlank() ? request.imageId().toString() : image.name();
        PreheatEntity preheat = preheats.save(new PreheatEntity(id, request.imageId(), name, workload, scope, now));
        List<PreheatHostEntity> rows = new ArrayList<>();
        for (int i = 0; i < request.hosts().size(); i++) {
            String host = request.hosts().get(i);
            rows.add(preheatHosts.save(new PreheatHostEntity(new PreheatHostKey(id, host), i, now)));
            outbox.publish(Topics.LAUNCH_COMMANDS, new PreheatCommand(UUID.randomUUID(), now, id, host,
                    request.imageId(), PreheatCommand.Action.START, workload, scope));
        }
        preheatHosts.flush();
        return view(preheat, rows);
    }

    /** @throws ProblemException 404 when there is no such preheat */
    PreheatView get(UUID id) {
        return readTx.execute(status -> preheats.findById(id).map(p -> view(p, preheatHosts.findByPreheat(id)))
                .orElseThrow(() -> unknownPreheat(id)));
    }

    /** A page of preheats, most recent first, of image {@code imageId} only when it is not null. */
    PreheatPage list(int page, int size, UUID imageId) {
        if (page < 0) {
            throw ProblemException.badRequest("invalid-request", "page must not be negative");
        }
        if (size < 1 || size > properties.maxPageSize()) {
            throw ProblemException.badRequest("invalid-request", "size must be 1-" + properties.maxPageSize());
        }
        PageRequest request = PageRequest.of(page, size, Sort.by(Sort.Order.desc("createdAt"), Sort.Order.desc("id")));
        return readTx.execute(status -> {
            Page<PreheatEntity> p = imageId == null ? preheats.findAll(request)
                    : preheats.findByImageId(imageId, request);
            Map<UUID, List<PreheatHostEntity>> rows = p.isEmpty() ? Map.of()
                    : preheatHosts.findByPreheats(p.map(PreheatEntity::getId).toList()).stream()
                    .collect(Collectors.groupingBy(h -> h.getId().preheatId()));
            List<PreheatView> items = p.map(e -> view(e, rows.getOrDefault(e.getId(), List.of()))).toList();
            return new PreheatPage(items, page, size, p.getTotalElements(), p.getTotalPages());
        });
    }

    /**
     * Asks every host of the preheat that has not ended to cancel (a CANCEL command each, through the outbox).
     * Asking again sends nothing more.
     *
     * @throws ProblemException 404 when there is no such preheat
     */
    PreheatView cancel(UUID id) {
        return tx.execute(status -> {
            PreheatEntity preheat = preheats.lockById(id).orElseThrow(() -> unknownPreheat(id));
            List<PreheatHostEntity> rows = preheatHosts.findByPreheat(id);
            if (preheat.cancelRequestedAt() == null) {
                Instant now = now();
                preheat.cancelRequested(now);
                List<String> asked = new ArrayList<>();
                for (PreheatHostEntity row : rows) {
                    if (!HostPreheatState.ENDED.contains(row.state())) {
                        outbox.publish(Topics.LAUNCH_COMMANDS, new PreheatCommand(UUID.randomUUID(), now, id,
                                row.host(), preheat.imageId(), PreheatCommand.Action.CANCEL, null, null));
                        asked.add(row.host());
                    }
                }
                log.info("preheat {} cancel requested on {}", id, asked);
            }
            return view(preheat, rows);
        });
    }

    /**
     * Applies an agent's report to its preheat host row when its sequence is newer than the last applied; older
     * and repeated reports change nothing. Reports with impossible figures, or for a preheat or host that does
     * not exist, are dropped. Outcomes are counted in {@code bootswarm.tracker.preheat.status}.
     */
    void applyStatus(PreheatStatus s) {
        String outcome;
        if (s.piecesTotal() < 0 || s.piecesDone() < 0 || s.piecesDone() > s.piecesTotal() || s.bytesFetched() < 0) {
            log.warn("dropping preheat status {} of preheat {} host {}: impossible figures {}/{} pieces, {} bytes",
                    s.eventId(), s.preheatId(), s.host(), s.piecesDone(), s.piecesTotal(), s.bytesFetched());
            outcome = "dropped";
        } else {
            outcome = tx.execute(status -> apply(s));
        }
        Counter.builder("bootswarm.tracker.preheat.status").description("preheat status reports by outcome")
                .tag("outcome", outcome).register(meters).increment();
    }

    private String apply(PreheatStatus s) {
        Optional<PreheatHostEntity> found = preheatHosts.lock(s.preheatId(), s.host());
        if (found.isEmpty()) {
            log.warn("dropping preheat status {}: preheat {} has no host {}", s.eventId(), s.preheatId(), s.host());
            return "dropped";
        }
        PreheatHostEntity row = found.get();
        HostPreheatState before = row.state();
        if (!row.apply(s, now())) {
            return "stale";
        }
        if (before != row.state()) {
            log.info("preheat {} host {}: {} -> {}{}", s.preheatId(), s.host(), before, row.state(),
                    s.detail() == null ? "" : ": " + s.detail());
        }
        return "applied";
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static PreheatView view(PreheatEntity p, List<PreheatHostEntity> rows) {
        return new PreheatView(p.getId(), p.imageId(), p.imageName(), p.workload(), p.scope(), p.createdAt(),
                p.cancelRequestedAt(), rows.stream().map(PreheatHostEntity::view).toList());
    }

    private static ProblemException unknownPreheat(UUID id) {
        return ProblemException.notFound("unknown-preheat", "no preheat " + id).with("preheatId", id);
    }
}
