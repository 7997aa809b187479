package io.bootswarm.infra.junit;

import io.bootswarm.infra.Infra;
import io.bootswarm.testing.AfterContextsClosed;
import io.bootswarm.testing.CloseContextsAtSessionEnd;

/**
 * Stops the shared PostgreSQL and Kafka of {@link Infra#shared()} at the end of a test session, after
 * {@link CloseContextsAtSessionEnd} (bootswarm-test-fixtures, the build's one session listener) has
 * closed the Spring contexts that used them. It stays here, not in the test fixtures, because it needs
 * {@link Infra}, and the fixtures depend on no bootswarm module.
 */
public final class StopSharedInfraAtSessionEnd implements AfterContextsClosed {

    @Override
    public void afterContextsClosed() {
        Infra.stopShared();
    }
}
