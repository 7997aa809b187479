package io.bootswarm.testing;

/**
 * Work for the end of a test session once every Spring context the tests used has closed, such as
 * stopping infrastructure the contexts talked to. {@link CloseContextsAtSessionEnd} finds the
 * implementations with {@link java.util.ServiceLoader} ({@code META-INF/services/io.bootswarm.testing.AfterContextsClosed})
 * and runs them in that order; bootswarm-infra provides the one that stops its shared PostgreSQL and Kafka.
 */
public interface AfterContextsClosed {

    void afterContextsClosed();
}
