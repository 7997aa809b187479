package io.bootswarm.tracker.launch;

/** seed-service could not say whether an image exists: unreachable, timing out, failing, or its circuit is open. */
class SeedUnavailableException extends RuntimeException {
    SeedUnavailableException(String message) {
        super(message);
    }

    SeedUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
