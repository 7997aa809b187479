package io.bootswarm.common.remote;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import org.jspecify.annotations.Nullable;
import java.io.IOException;

/**
 * A call to another service that did not produce a result: the service refused the request (a 4xx
 * answer, {@link #status()}), failed (5xx), could not be reached, did not answer in time, or its
 * circuit breaker is open. The message says which, naming the service and where it was called.
 */
public class RemoteCallException extends IOException {

    private final int status;

    /** A call that could not even be made, e.g. because no address is known for the service. */
    public RemoteCallException(String message) {
        this(message, null, 0);
    }

    RemoteCallException(String message, @Nullable Throwable cause, int status) {
        super(message, cause);
        this.status = status;
    }

    /**
     * Whether no request was made because the circuit breaker is open (of every replica, for
     * {@link RemoteReplicas}): the service failed repeatedly a moment ago.
     */
    public boolean turnedAway() {
        return getCause() instanceof CallNotPermittedException;
    }

    /** The 4xx status the service refused the request with, or 0 when it gave no such answer. */
    public int status() {
        return status;
    }
}
