package io.bootswarm.agent.tracker;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.agent.tracker.*}: how the agent's calls to the tracker behave beyond the resilience4j
 * instances named {@code tracker} (retry, circuit breaker, time limiter under {@code resilience4j.*}).
 *
 * @param breakerWait how long a call a launch needs (the live seeds, when no {@code seed-url} is set)
 *                    waits for the tracker's open circuit breaker to let a call through before the launch
 *                    fails: a launch command comes from the tracker, so the tracker is most likely back, and
 *                    the breaker's open period (resilience4j {@code wait-duration-in-open-state}) is worth
 *                    waiting out. Zero fails at once. Should exceed that open period.
 */
@ConfigurationProperties("bootswarm.agent.tracker")
public record TrackerCallSettings(@DefaultValue("15s") Duration breakerWait) {

    public TrackerCallSettings {
        breakerWait = breakerWait == null || breakerWait.isNegative() ? Duration.ZERO : breakerWait;
    }
}
