package io.bootswarm.seed.allocation;

import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.seed.SeedProperties;
import io.bootswarm.seed.catalog.CatalogChanged;
import io.bootswarm.seed.catalog.ImageGroups;
import io.bootswarm.seed.catalog.PieceGroup;
import io.bootswarm.seed.catalog.PieceIndex;
import io.bootswarm.seed.replicas.SeedReplicas;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * The seed's upload {@code u_s} split into per-swarm rate limits (Wu et al. §IV: the {@code u_s^i}
 * with {@code Σ_i u_s^i = u_s} of Eq. 11). A swarm is a piece group (or, in an image-level plan, an
 * image); a block of a piece is charged to the limiter of the piece's group, whichever image's peer
 * asked, before it passes the seed's overall limiter.
 *
 * <p>Where the split comes from ({@link Source}):
 * <ul>
 *   <li>{@code PLAN}: the newest {@link AllocationPlan} from allocator-service, applied as soon as it
 *       is consumed and kept until its {@code validUntil}. The plan is made for all seed replicas together
 *       ({@code seedUpload} is their total upload) and each applies its share: the rates scaled by
 *       {@code upload-rate / plan.seedUpload} when the seed's own upload rate is set, so that they sum
 *       to what the seed really has, else divided by the live seed replicas ({@link SeedReplicas}; applied
 *       again when their number changes). A plan outside the {@link PlanBounds} (made too far in the future,
 *       valid too long, expired, too many swarms, bad rates or more than the seed's upload) is dropped:
 *       counted in {@code bootswarm.seed.plan.dropped} by {@code reason}, logged at most once a minute
 *       per reason, not remembered. "Newest" is by {@code at}, where a plan made after it was received
 *       (the allocator's clock ahead, within {@code max-clock-skew}) counts as made when received, so
 *       that a future-dated plan cannot hold off the plans made after it.</li>
 *   <li>{@code FALLBACK} while no plan is fresh: proportional to what the peers still miss,
 *       {@code u_s^i = u_s · R^i / Σ_k R^k} with {@code R^i = Σ_j R_j^i} summed over the hosts' newest
 *       swarm reports (group entries when any carries missing bytes, image entries otherwise). This
 *       is the optimal split of Eq. 11 when the peers upload nothing, and needs no solver.</li>
 *   <li>{@code UNSHAPED}: no plan and no report with missing bytes (or the seed's upload is
 *       unlimited and no plan ever named one): only the overall limit applies.</li>
 * </ul>
 * A swarm the split names gets at least {@code min-rate}, so that a peer asking for a piece the plan
 * leaves to the peers is slowed, not stalled. A swarm the split does not name (new since the plan or
 * the reports it was made from) has no limiter of its own until the next split names it, so a new
 * launch's first pieces are not held back for a period; the overall limiter still caps the sum at
 * {@code u_s}. A limiter
 * whose rate changes by less than 2 % is kept, so that a re-published plan does not refill buckets.
 */
@Component
public class UploadSplit implements InitializingBean, DisposableBean {

    /** Per piece group bytes counter. */
    public static final String GROUP_METER = "bootswarm.seed.group.uploaded.bytes";

    private static final Logger log = LoggerFactory.getLogger(UploadSplit.class);
    private static final double KEEP_LIMITER_WITHIN = 0.02;
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final Duration DROP_LOG_INTERVAL = Duration.ofMinutes(1);
    private static final int REMEMBERED_PLAN_IDS = 1024;

    /** Where the applied split comes from. */
    public enum Source { PLAN, FALLBACK, UNSHAPED }

    /** What consuming a plan did. */
    public enum Outcome { APPLIED, DUPLICATE, OUTDATED, DROPPED, DISABLED }

    /** Meter of the plans dropped, tagged {@code reason} ({@link PlanBounds.Reason#tag()}). */
    static final String DROPPED_METER = "bootswarm.seed.plan.dropped";

    /**
     * The split in force.
     *
     * @param reason      why this source (e.g. "plan expired at …")
     * @param seedUpload  u_s the rates sum to, bytes per second (0 when unshaped)
     * @param groupRates  u_s^i per piece group, as applied (after scaling, before the min-rate floor)
     * @param imageRates  u_s^i per image, for image-level plans and fallbacks
     * @param minRate     the least a named swarm's limiter allows
     * @param seeds       the live seed replicas when the split was made, this one included
     * @param share       the factor this seed applied to the plan's rates: its {@code upload-rate} over the plan's
     *                    {@code seedUpload}, or {@code 1 / seeds} while its upload is unlimited (1 unless PLAN)
     */
    public record Split(Source source, String reason, UUID planId, String strategy, Instant planAt,
                        Instant validUntil, long seedUpload, Instant appliedAt, Map<String, Double> groupRates,
                        Map<UUID, Double> imageRates, long minRate, Map<String, RateLimiter> groupLimiters,
                        Map<UUID, RateLimiter> imageLimiters, int seeds, double share) {
    }

    /** A host's newest report and when it counts from: when sent, or when received if that is earlier. */
    private record HostReport(SwarmReport report, Instant received) {
    }

    private record GroupAccount(LongAdder bytes, FunctionCounter meter) {
    }

    private final AllocationSettings settings;
    private final SeedProperties seed;
    private final PieceIndex pieces;
    private final MeterRegistry meters;
    private final Clock clock;
    private final IntSupplier seeds;
    private final Map<String, HostReport> reports = new ConcurrentHashMap<>();
    private final Map<String, GroupAccount> groups = new ConcurrentHashMap<>();
    private final Map<UUID, Shaping> shapings = new ConcurrentHashMap<>();
    private final AtomicLong catalogGeneration = new AtomicLong();
    private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
    private final PlanBounds bounds;
    private final Map<PlanBounds.Reason, Counter> drops = new EnumMap<>(PlanBounds.Reason.class);
    private final Map<PlanBounds.Reason, Instant> dropLoggedAt = new EnumMap<>(PlanBounds.Reason.class);
    private final Map<PlanBounds.Reason, Long> dropsNotLogged = new EnumMap<>(PlanBounds.Reason.class);
    private final Set<UUID> seenPlans = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
            return size() > REMEMBERED_PLAN_IDS;
        }
    });
    private volatile Split current;
    private AllocationPlan lastPlan;
    private Instant lastPlanOrder;
    private ScheduledExecutorService checks;

    @Autowired
    UploadSplit(AllocationSettings settings, SeedProperties seed, PieceIndex pieces, MeterRegistry meters, Clock clock,
                SeedReplicas replicas) {
        this(settings, seed, pieces, meters, clock, replicas::live);
    }

    /** @param seeds the live seed replicas sharing the plan, this one included */
    UploadSplit(AllocationSettings settings, SeedProperties seed, PieceIndex pieces, MeterRegistry meters, Clock clock,
                IntSupplier seeds) {
        this.seeds = seeds;
        this.settings = settings;
        this.seed = seed;
        this.pieces = pieces;
        this.meters = meters;
        this.clock = clock;
        this.bounds = new PlanBounds(settings, seed.uploadRate().toBytes());
        this.current = unshaped("no plan and no swarm report yet");
        for (Outcome o : Outcome.values()) {
            outcomes.put(o, Counter.builder("bootswarm.seed.allocation.plans").tag("outcome", o.name().toLowerCase())
                    .description("allocation plans consumed, by what became of them").register(meters));
        }
        for (PlanBounds.Reason r : PlanBounds.Reason.values()) {
            drops.put(r, Counter.builder(DROPPED_METER).tag("reason", r.tag())
                    .description("allocation plans dropped for breaking a bound, by the bound").register(meters));
        }
        Gauge.builder("bootswarm.seed.allocation.plan.fresh", this, s -> s.current.source() == Source.PLAN ? 1 : 0)
                .description("1 while a fresh allocation plan shapes the seed's upload, 0 on the fallback split")
                .register(meters);
        Gauge.builder("bootswarm.seed.allocation.swarms", this,
                        s -> s.current.groupRates().size() + s.current.imageRates().size())
                .description("swarms the applied split names").register(meters);
    }

    @Override
    public void afterPropertiesSet() {
        if (!settings.enabled()) {
            return;
        }
        checks = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("upload-split").factory());
        long every = settings.checkInterval().toMillis();
        checks.scheduleWithFixedDelay(() -> {
            try {
                check();
            } catch (RuntimeException e) {
                log.warn("upload split check failed: {}", e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void destroy() {
        if (checks != null) {
            checks.shutdownNow();
        }
    }

    /** The split in force. */
    public Split current() {
        return current;
    }

    /** The shaping of image {@code imageId}'s upload: one per image, following every later split. */
    public PieceShaping forImage(UUID imageId) {
        return settings.enabled() ? shapings.computeIfAbsent(imageId, Shaping::new) : PieceShaping.NONE;
    }

    /** Bytes of each piece group's pieces served since start. */
    public Map<String, Long> groupUploadedBytes() {
        Map<String, Long> out = new LinkedHashMap<>();
        groups.forEach((id, a) -> out.put(id, a.bytes().sum()));
        return out;
    }

    /** Bytes of group {@code groupId}'s pieces served since start (0 if none). */
    public long groupUploadedBytes(String groupId) {
        GroupAccount a = groups.get(groupId);
        return a == null ? 0 : a.bytes().sum();
    }

    /**
     * Takes a plan: one within the {@link PlanBounds} and the newest so far (by {@code at}, no later
     * than now) is applied at once; a redelivered (one of the last 1024 plan ids) or older one changes
     * nothing; one outside the bounds (also an expired one) is dropped and forgotten.
     */
    public synchronized Outcome accept(AllocationPlan plan) {
        Outcome outcome = decide(plan);
        outcomes.get(outcome).increment();
        return outcome;
    }

    private Outcome decide(AllocationPlan plan) {
        if (!settings.enabled()) {
            return Outcome.DISABLED;
        }
        if (plan.planId() != null && seenPlans.contains(plan.planId())) {
            return Outcome.DUPLICATE;
        }
        Instant now = clock.instant();
        Optional<PlanBounds.Violation> broken = bounds.check(plan, now);
        if (broken.isPresent()) {
            dropped("allocation plan " + plan.planId(), broken.get(), now);
            return Outcome.DROPPED;
        }
        seenPlans.add(plan.planId());
        Instant order = plan.at().isAfter(now) ? now : plan.at();
        if (lastPlanOrder != null && order.isBefore(lastPlanOrder)) {
            return Outcome.OUTDATED;
        }
        lastPlan = plan;
        lastPlanOrder = order;
        applyPlan(plan);
        return Outcome.APPLIED;
    }

    /**
     * Installs {@code plan} at this seed's share: the plan is made for the seeds' total upload ({@code seedUpload}),
     * so the rates are scaled by {@code upload-rate / seedUpload} when this seed's upload is set (so that they sum
     * to what it really has), else divided by the live seed replicas.
     */
    private void applyPlan(AllocationPlan plan) {
        int n = Math.max(1, seeds.getAsInt());
        double scale = seed.uploadRate().toBytes() > 0 ? (double) seed.uploadRate().toBytes() / plan.seedUpload()
                : 1.0 / n;
        Map<String, Double> byGroup = new HashMap<>();
        Map<UUID, Double> byImage = new HashMap<>();
        for (AllocationPlan.Rate r : plan.rates()) {
            double rate = r.bytesPerSecond() * scale;
            if (r.groupId() != null) {
                byGroup.merge(r.groupId(), rate, Double::sum);
            } else if (r.imageId() != null) {
                byImage.merge(r.imageId(), rate, Double::sum);
            }
        }
        long us = Math.round(plan.seedUpload() * scale);
        install(Source.PLAN, "plan " + plan.planId() + " (" + plan.strategy() + ") valid until " + plan.validUntil()
                + (n > 1 ? ", this seed's share of " + n + " seeds" : ""), plan, us, byGroup, byImage, n, scale);
    }

    /** Counts and (quietly) logs a record of the plans' topic that is no allocation plan. */
    synchronized void undecodable(String where) {
        dropped("a record", new PlanBounds.Violation(PlanBounds.Reason.UNDECODABLE, "not an allocation plan at "
                + where), clock.instant());
    }

    private void dropped(String what, PlanBounds.Violation v, Instant now) {
        drops.get(v.reason()).increment();
        Instant logged = dropLoggedAt.get(v.reason());
        if (logged != null && now.isBefore(logged.plus(DROP_LOG_INTERVAL)) && !now.isBefore(logged)) {
            dropsNotLogged.merge(v.reason(), 1L, Long::sum);
            return;
        }
        dropLoggedAt.put(v.reason(), now);
        Long unlogged = dropsNotLogged.remove(v.reason());
        log.warn("dropped {}, {}: {}{}; drops are counted in {} and logged once a minute per reason",
                what, v.reason().tag(), v.detail(),
                unlogged == null ? "" : " (and " + unlogged + " more for this reason since the last such message)",
                DROPPED_METER);
    }

    /** Takes a host's swarm report for the fallback split; an older one than held is ignored. */
    public void accept(SwarmReport report) {
        Instant now = clock.instant();
        Instant counted = report.at().isBefore(now) ? report.at() : now;
        reports.merge(report.host(), new HostReport(report, counted),
                (held, fresh) -> fresh.report().at().isBefore(held.report().at()) ? held : fresh);
    }

    /**
     * Run every {@code check-interval}: a plan past its {@code validUntil} gives way to the fallback
     * split, and the fallback follows the reports.
     */
    public synchronized void check() {
        Instant now = clock.instant();
        reports.values().removeIf(h -> h.received().plus(settings.reportLifetime()).isBefore(now));
        Split s = current;
        if (s.source() == Source.PLAN && s.validUntil().isAfter(now)) {
            if (seed.uploadRate().toBytes() <= 0 && Math.max(1, seeds.getAsInt()) != s.seeds() && lastPlan != null) {
                applyPlan(lastPlan); // a seed replica came or went: the plan's share changed
            }
            return;
        }
        String why = s.source() == Source.PLAN ? "plan " + s.planId() + " expired at " + s.validUntil()
                : lastPlan == null ? "no plan received yet" : "no fresh plan since " + lastPlan.planId();
        fallback(why);
    }

    private void fallback(String why) {
        int n = Math.max(1, seeds.getAsInt());
        long us = seed.uploadRate().toBytes() > 0 ? seed.uploadRate().toBytes()
                : lastPlan != null ? lastPlan.seedUpload() / n : 0;
        if (us <= 0) {
            install(unshaped(why + "; the seed's upload is unlimited"));
            return;
        }
        Map<String, Double> missingByGroup = new HashMap<>();
        Map<UUID, Double> missingByImage = new HashMap<>();
        for (HostReport h : reports.values()) {
            for (SwarmReport.Entry e : h.report().swarms()) {
                if (e.missingBytes() <= 0) {
                    continue;
                }
                if (e.groupId() != null) {
                    missingByGroup.merge(e.groupId(), (double) e.missingBytes(), Double::sum);
                } else if (e.imageId() != null) {
                    missingByImage.merge(e.imageId(), (double) e.missingBytes(), Double::sum);
                }
            }
        }
        Map<String, Double> byGroup = Map.of();
        Map<UUID, Double> byImage = Map.of();
        if (!missingByGroup.isEmpty()) {
            byGroup = proportional(missingByGroup, us);
        } else if (!missingByImage.isEmpty()) {
            byImage = proportional(missingByImage, us);
        } else {
            install(unshaped(why + "; no report of missing bytes"));
            return;
        }
        Split s = current;
        if (s.source() == Source.FALLBACK && s.seedUpload() == us && close(s.groupRates(), byGroup)
                && close(s.imageRates(), byImage)) {
            return;
        }
        install(Source.FALLBACK, why + "; split by bytes missing in " + reports.size() + " hosts' reports", null, us,
                byGroup, byImage, n, 1);
    }

    private static <K> Map<K, Double> proportional(Map<K, Double> missing, long us) {
        double total = missing.values().stream().mapToDouble(Double::doubleValue).sum();
        Map<K, Double> out = new HashMap<>();
        missing.forEach((k, r) -> out.put(k, us * r / total));
        return out;
    }

    private static <K> boolean close(Map<K, Double> held, Map<K, Double> fresh) {
        if (!held.keySet().equals(fresh.keySet())) {
            return false;
        }
        for (Map.Entry<K, Double> e : fresh.entrySet()) {
            if (!near(held.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean near(double a, double b) {
        return Math.abs(a - b) <= KEEP_LIMITER_WITHIN * Math.max(a, b);
    }

    private void install(Source source, String reason, AllocationPlan plan, long us, Map<String, Double> byGroup,
                         Map<UUID, Double> byImage, int n, double share) {
        Split before = current;
        long min = settings.minRate().toBytes();
        Split s = new Split(source, reason, plan == null ? null : plan.planId(), plan == null ? null : plan.strategy(),
                plan == null ? null : plan.at(), plan == null ? null : plan.validUntil(), us, clock.instant(),
                Map.copyOf(byGroup), Map.copyOf(byImage), min,
                limiters(byGroup, before.groupLimiters(), min), limiters(byImage, before.imageLimiters(), min), n, share);
        install(s);
    }

    private void install(Split s) {
        Split before = current;
        current = s;
        if (before.source() != s.source()) {
            log.info("upload split: {} -> {} ({}), {} swarms", before.source(), s.source(), s.reason(),
                    s.groupRates().size() + s.imageRates().size());
        } else {
            log.debug("upload split: {} ({}), {} swarms", s.source(), s.reason(),
                    s.groupRates().size() + s.imageRates().size());
        }
    }

    private static <K> Map<K, RateLimiter> limiters(Map<K, Double> rates, Map<K, RateLimiter> held, long min) {
        Map<K, RateLimiter> out = new HashMap<>();
        rates.forEach((k, r) -> out.put(k, reuse(held.get(k), Math.max(min, Math.round(r)))));
        return Collections.unmodifiableMap(out);
    }

    private static RateLimiter reuse(RateLimiter held, long rate) {
        return held != null && held.isLimited() && near(held.bytesPerSecond(), rate) ? held : RateLimiter.perSecond(rate);
    }

    private Split unshaped(String reason) {
        return new Split(Source.UNSHAPED, reason, null, null, null, null, 0, clock.instant(), Map.of(), Map.of(),
                settings.minRate().toBytes(), Map.of(), Map.of(), Math.max(1, seeds.getAsInt()), 1);
    }

    /** Piece groups change when an image is added or deleted: every image's are reloaded on next use. */
    @EventListener
    void onCatalogChanged(CatalogChanged event) {
        catalogGeneration.incrementAndGet();
        if (!event.added()) {
            shapings.remove(event.imageId());
        }
    }

    private GroupAccount account(String groupId) {
        return groups.computeIfAbsent(groupId, id -> {
            LongAdder bytes = new LongAdder();
            FunctionCounter meter = FunctionCounter.builder(GROUP_METER, bytes, LongAdder::sum)
                    .description("bytes of a piece group's pieces served to peers, whichever image they asked in")
                    .baseUnit("bytes").tag("group", id).register(meters);
            return new GroupAccount(bytes, meter);
        });
    }

    /** One image's pieces mapped to their groups, at one catalog generation. */
    private record Groups(long generation, boolean failed, long loadedAtNanos, int[] pieceGroup, String[] ids,
                          GroupAccount[] accounts) {

        boolean usable(long generation) {
            return failed ? System.nanoTime() - loadedAtNanos < RETRY_NANOS : this.generation == generation;
        }
    }

    private final class Shaping implements PieceShaping {

        private final UUID imageId;
        private volatile Groups groups;

        Shaping(UUID imageId) {
            this.imageId = imageId;
        }

        @Override
        public RateLimiter limiterFor(int piece) {
            Split s = current;
            if (s.source() == Source.UNSHAPED) {
                return RateLimiter.UNLIMITED;
            }
            String group = groupOf(piece, g -> g.ids());
            RateLimiter l = group == null ? null : s.groupLimiters().get(group);
            if (l == null) {
                l = s.imageLimiters().get(imageId);
            }
            return l != null ? l : RateLimiter.UNLIMITED;
        }

        @Override
        public void served(int piece, int bytes) {
            GroupAccount a = groupOf(piece, g -> g.accounts());
            if (a != null) {
                a.bytes().add(bytes);
            }
        }

        private <T> T groupOf(int piece, Function<Groups, T[]> of) {
            Groups g = groups();
            if (piece < 0 || piece >= g.pieceGroup().length || g.pieceGroup()[piece] < 0) {
                return null;
            }
            return of.apply(g)[g.pieceGroup()[piece]];
        }

        private Groups groups() {
            Groups g = groups;
            long generation = catalogGeneration.get();
            if (g != null && g.usable(generation)) {
                return g;
            }
            synchronized (this) {
                g = groups;
                if (g != null && g.usable(generation)) {
                    return g;
                }
                groups = g = load(generation);
                return g;
            }
        }

        private Groups load(long generation) {
            try {
                ImageGroups ig = pieces.groups(imageId);
                int[] pieceGroup = new int[ig.pieceCount()];
                for (int p = 0; p < pieceGroup.length; p++) {
                    pieceGroup[p] = ig.groupOf(p);
                }
                String[] ids = ig.groups().stream().map(PieceGroup::groupId).toArray(String[]::new);
                GroupAccount[] accounts = new GroupAccount[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    accounts[i] = account(ids[i]);
                }
                return new Groups(generation, false, System.nanoTime(), pieceGroup, ids, accounts);
            } catch (RuntimeException e) {
                // e.g. the database is unreachable: shape by image until a retry in 5 s
                log.warn("piece groups of image {} unavailable, shaping it by image: {}", imageId, e.toString());
                return new Groups(generation, true, System.nanoTime(), new int[0], new String[0], new GroupAccount[0]);
            }
        }
    }
}
