package io.bootswarm.seed.allocation;

import io.bootswarm.common.events.AllocationPlan;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * What a consumed allocation plan must keep to be applied, so that a plan from anyone who can
 * publish on the topic cannot take the seed's upload for long: made at most {@code max-clock-skew}
 * in the future, valid at most {@code max-plan-validity} from now and not yet expired, at most
 * {@code max-plan-groups} swarms, every rate a finite number ≥ 0, and the rates, as applied, at most
 * {@code max-rate-factor} times the seed's upload.
 */
final class PlanBounds {

    /** Why a plan was dropped; {@link #tag()} is the {@code reason} of {@code bootswarm.seed.plan.dropped}. */
    enum Reason {
        UNDECODABLE, MALFORMED, CREATED_IN_FUTURE, VALID_TOO_LONG, EXPIRED, TOO_MANY_GROUPS, BAD_RATE, OVER_UPLOAD;

        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The bound a plan breaks, and by how much. */
    record Violation(Reason reason, String detail) {
    }

    private final AllocationSettings settings;
    private final long uploadRate;

    /** @param uploadRate the seed's {@code upload-rate}, bytes per second (0: unlimited) */
    PlanBounds(AllocationSettings settings, long uploadRate) {
        this.settings = settings;
        this.uploadRate = uploadRate;
    }

    /** The first bound {@code plan} breaks at {@code now}, if any. */
    Optional<Violation> check(AllocationPlan plan, Instant now) {
        if (plan.planId() == null || plan.at() == null || plan.validUntil() == null) {
            return violation(Reason.MALFORMED, "no planId, at or validUntil");
        }
        Instant latestAt = now.plus(settings.maxClockSkew());
        if (plan.at().isAfter(latestAt)) {
            return violation(Reason.CREATED_IN_FUTURE, "made at " + plan.at() + ", after now (" + now + ") + "
                    + "max-clock-skew " + settings.maxClockSkew());
        }
        Instant latestEnd = now.plus(settings.maxPlanValidity());
        if (plan.validUntil().isAfter(latestEnd)) {
            return violation(Reason.VALID_TOO_LONG, "valid until " + plan.validUntil() + ", after now (" + now
                    + ") + max-plan-validity " + settings.maxPlanValidity());
        }
        if (!plan.validUntil().isAfter(now)) {
            return violation(Reason.EXPIRED, "expired at " + plan.validUntil());
        }
        if (plan.rates().size() > settings.maxPlanGroups()) {
            return violation(Reason.TOO_MANY_GROUPS, plan.rates().size() + " swarms, more than max-plan-groups "
                    + settings.maxPlanGroups());
        }
        if (plan.seedUpload() <= 0) {
            return violation(Reason.BAD_RATE, "seedUpload " + plan.seedUpload() + " is not positive");
        }
        double sum = 0;
        for (AllocationPlan.Rate r : plan.rates()) {
            if (!(r.bytesPerSecond() >= 0) || Double.isInfinite(r.bytesPerSecond())) {
                return violation(Reason.BAD_RATE, "rate " + r.bytesPerSecond() + " for "
                        + (r.groupId() != null ? "group " + r.groupId() : "image " + r.imageId()));
            }
            sum += r.bytesPerSecond();
        }
        // applied, the rates are scaled by upload-rate / seedUpload: the bound is the same on either side
        double bound = settings.maxRateFactor() * plan.seedUpload();
        if (sum > bound) {
            return violation(Reason.OVER_UPLOAD, String.format(Locale.ROOT, "rates sum to %.0f B/s, more than "
                    + "max-rate-factor %.2f x the plan's seedUpload %d B/s%s", sum, settings.maxRateFactor(),
                    plan.seedUpload(), uploadRate > 0 ? " (scaled to the seed's upload-rate " + uploadRate
                            + " B/s)" : ""));
        }
        return Optional.empty();
    }

    private static Optional<Violation> violation(Reason reason, String detail) {
        return Optional.of(new Violation(reason, detail));
    }
}
