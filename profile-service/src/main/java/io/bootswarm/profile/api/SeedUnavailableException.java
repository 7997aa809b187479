package io.bootswarm.profile.api;

/** seed-service could not say what an image is: unreachable, timing out, failing, or its circuit is open. */
class SeedUnavailableException extends RuntimeException {
    SeedUnavailableException(String message) {
        super(message);
    }

    SeedUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
