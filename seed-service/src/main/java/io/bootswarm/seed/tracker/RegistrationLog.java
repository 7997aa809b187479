package io.bootswarm.seed.tracker;

import org.slf4j.Logger;

/**
 * Logs the tracker registration's state changes, not its attempts: WARN once when it starts
 * failing, INFO when it recovers (and on the first success), DEBUG otherwise. Thread-confined to
 * the registration thread.
 */
final class RegistrationLog {

    private final Logger log;
    private final String tracker;
    private boolean registeredOnce;
    private boolean failing;
    private long failures;

    RegistrationLog(Logger log, String tracker) {
        this.log = log;
        this.tracker = tracker;
    }

    void succeeded(RegistrationBody registration) {
        if (failing) {
            log.info("registration with tracker {} recovered after {} failed attempt(s)", tracker, failures);
        } else if (!registeredOnce) {
            log.info("registered with tracker {} as {}", tracker, registration);
        } else {
            log.debug("re-registered with tracker {}", tracker);
        }
        registeredOnce = true;
        failing = false;
        failures = 0;
    }

    void failed(Throwable cause, String interval) {
        failures++;
        if (!failing) {
            failing = true;
            log.warn("registration with tracker {} is failing ({}); the seed keeps serving and retries every {}",
                    tracker, describe(cause), interval);
        } else {
            log.debug("registration with tracker {} failed again: {}", tracker, describe(cause));
        }
    }

    boolean failing() {
        return failing;
    }

    long failures() {
        return failures;
    }

    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String s = brief(t);
        return root == t ? s : s + ", caused by " + brief(root);
    }

    private static String brief(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
