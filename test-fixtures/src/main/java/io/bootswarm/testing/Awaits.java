package io.bootswarm.testing;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

import java.time.Duration;

/**
 * Awaitility for tests that wait for many short steps in turn (a manual clock moved a step at a time, each step
 * waiting for the server's threads to catch up): Awaitility's default first looks after 100 ms, which hundreds of
 * steps turn into minutes.
 */
public final class Awaits {

    private Awaits() {}

    /**
     * Checks the condition at once, then every millisecond. Only for conditions that cannot hold before the step
     * that makes them true (a count reaching a new value, a thread arriving somewhere), since they are no longer
     * given 100 ms of grace.
     */
    public static ConditionFactory promptly() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
    }
}
