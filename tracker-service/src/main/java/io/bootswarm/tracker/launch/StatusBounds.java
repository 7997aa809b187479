package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the tracker accepts from the agents' status reports on Kafka, so that one forged or broken
 * report cannot pin a launch host row: bounded field sizes, NBD URIs that are NBD URIs, timestamps
 * and sequences not too far ahead ({@code bootswarm.tracker.status.*}), and a launch and host that
 * exist. Drops are counted in {@code bootswarm.tracker.status.dropped{reason}} and logged at WARN at
 * most once a minute per reason (the rest at DEBUG).
 */
@Component
class StatusBounds {

    /** Longest NBD URI accepted, in characters. */
    static final int MAX_URI = 2048;
    /** Longest failure detail accepted, in characters. */
    static final int MAX_DETAIL = 4096;
    /** Longest host name accepted, in characters (registered names are far shorter). */
    static final int MAX_HOST = 255;
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(StatusBounds.class);

    /** Why a report was dropped; the {@code reason} tag of the counter. */
    enum Reason {
        /** no launch has the report's launch id */
        UNKNOWN_LAUNCH,
        /** the launch exists but the report's host is not one of its hosts */
        FOREIGN_HOST,
        /** the sequence runs too far ahead of the last applied one and of the clock */
        SEQUENCE_GAP,
        /** the timestamp is too far in the future */
        CLOCK_SKEW,
        /** a field is longer than accepted */
        OVERSIZE,
        /** a field holds something it never holds from an agent */
        MALFORMED;

        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** A report out of bounds: why, and what was wrong with it, for the log. */
    record Violation(Reason reason, String detail) {
    }

    private record Warned(Instant at, long suppressed) {
    }

    private final TrackerProperties.Status bounds;
    private final Clock clock;
    private final Map<Reason, Counter> dropped = new EnumMap<>(Reason.class);
    private final Map<Reason, Warned> warned = new EnumMap<>(Reason.class);

    StatusBounds(TrackerProperties properties, Clock clock, MeterRegistry meters) {
        this.bounds = properties.status();
        this.clock = clock;
        for (Reason r : Reason.values()) {
            dropped.put(r, Counter.builder("bootswarm.tracker.status.dropped").tag("reason", r.tag())
                    .description("launch status reports dropped as out of bounds, by reason").register(meters));
        }
    }

    /** Checks what needs no stored state: field sizes and forms, and the timestamp. */
    Optional<Violation> check(LaunchStatus s) {
        if (s.host().length() > MAX_HOST) {
            return violation(Reason.OVERSIZE, "host of " + s.host().length() + " characters");
        }
        if (longer(s.nbdUri(), MAX_URI) || longer(s.nbdUnixUri(), MAX_URI)) {
            return violation(Reason.OVERSIZE, "NBD URI over " + MAX_URI + " characters");
        }
        if (longer(s.detail(), MAX_DETAIL)) {
            return violation(Reason.OVERSIZE, "detail of " + s.detail().length() + " characters");
        }
        if (!scheme(s.nbdUri(), "nbd://", "nbds://") || !scheme(s.nbdUnixUri(), "nbd+unix://", "nbds+unix://")) {
            return violation(Reason.MALFORMED, "not an NBD URI");
        }
        if (s.piecesPresent() < 0 || s.piecesTotal() < 0 || s.bytesFetched() < 0) {
            return violation(Reason.MALFORMED, "negative progress");
        }
        Instant latest = clock.instant().plus(bounds.maxClockSkew());
        if (s.at() != null && s.at().isAfter(latest)) {
            return violation(Reason.CLOCK_SKEW, "timestamp " + s.at() + " is more than " + bounds.maxClockSkew()
                    + " ahead");
        }
        return Optional.empty();
    }

    /**
     * Checks a sequence newer than the last applied one: it may run ahead of it by max-sequence-gap, or
     * up to the clock plus max-clock-skew in microseconds since the epoch (how agents number reports).
     */
    Optional<Violation> checkSequence(long lastApplied, long sequence) {
        long byGap = lastApplied > Long.MAX_VALUE - bounds.maxSequenceGap() ? Long.MAX_VALUE
                : lastApplied + bounds.maxSequenceGap();
        long byClock = ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant().plus(bounds.maxClockSkew()));
        if (sequence > Math.max(byGap, byClock)) {
            return violation(Reason.SEQUENCE_GAP, "sequence " + sequence + " after " + lastApplied);
        }
        return Optional.empty();
    }

    /**
     * Counts and logs a dropped report.
     *
     * @return whether it was logged at WARN (the first of its reason in a minute)
     */
    boolean drop(LaunchStatus s, Violation v) {
        dropped.get(v.reason()).increment();
        String host = s.host().length() > 64 ? s.host().substring(0, 64) + "…" : s.host();
        long suppressed;
        synchronized (warned) {
            Instant now = clock.instant();
            Warned last = warned.get(v.reason());
            if (last != null && now.isBefore(last.at().plus(WARN_EVERY))) {
                warned.put(v.reason(), new Warned(last.at(), last.suppressed() + 1));
                log.debug("dropped status {} for launch {} host {}: {}, {}", s.state(), s.launchId(), host,
                        v.reason().tag(), v.detail());
                return false;
            }
            suppressed = last == null ? 0 : last.suppressed();
            warned.put(v.reason(), new Warned(now, 0));
        }
        log.warn("dropped status {} for launch {} host {}: {}, {}{}", s.state(), s.launchId(), host,
                v.reason().tag(), v.detail(), suppressed == 0 ? ""
                        : " (" + suppressed + " more dropped as " + v.reason().tag() + " since the last warning)");
        return true;
    }

    private static Optional<Violation> violation(Reason reason, String detail) {
        return Optional.of(new Violation(reason, detail));
    }

    private static boolean longer(String value, int max) {
        return value != null && value.length() > max;
    }

    private static boolean scheme(String uri, String... schemes) {
        if (uri == null) {
            return true;
        }
        String lower = uri.toLowerCase(Locale.ROOT);
        for (String scheme : schemes) {
            if (lower.startsWith(scheme)) {
                return true;
            }
        }
        return false;
    }
}
