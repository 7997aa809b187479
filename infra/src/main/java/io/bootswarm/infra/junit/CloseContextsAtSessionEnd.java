package io.bootswarm.infra.junit;

import io.bootswarm.infra.Infra;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.TestExecutionListener;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Ends a test session in order: first the Spring application contexts the tests used, then the
 * shared PostgreSQL and Kafka of {@link Infra#shared()}. Left to the JVM's shutdown hooks, the
 * contexts and the infrastructure stop concurrently, and a Kafka consumer or scheduled task talking
 * to a broker or database already gone can hold the forked JVM's exit for tens of seconds.
 *
 * <p>Every module whose tests have bootswarm-infra on their class path gets this without doing
 * anything: it is a JUnit {@link LauncherSessionListener} (registered in
 * {@code META-INF/services}) and a Spring {@link TestExecutionListener} that notes each test's
 * application context (registered in {@code META-INF/spring.factories}).
 */
public final class CloseContextsAtSessionEnd implements LauncherSessionListener, TestExecutionListener, Ordered {

    private static final Set<ConfigurableApplicationContext> CONTEXTS = Collections.synchronizedSet(new LinkedHashSet<>());

    private final Runnable stopInfrastructure;

    /** As JUnit and Spring instantiate it. */
    public CloseContextsAtSessionEnd() {
        this(Infra::stopShared);
    }

    CloseContextsAtSessionEnd(Runnable stopInfrastructure) {
        this.stopInfrastructure = stopInfrastructure;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    /** Runs after Spring has injected the test instance, so its context is loaded if it has one. */
    @Override
    public void prepareTestInstance(TestContext testContext) {
        if (testContext.hasApplicationContext()
                && testContext.getApplicationContext() instanceof ConfigurableApplicationContext context
                && CONTEXTS.add(context)) {
            context.addApplicationListener((ApplicationListener<ContextClosedEvent>) e -> {
                if (e.getApplicationContext() == context) {
                    CONTEXTS.remove(context);
                }
            });
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        List<ConfigurableApplicationContext> contexts;
        synchronized (CONTEXTS) {
            contexts = new ArrayList<>(CONTEXTS);
        }
        contexts.reversed().forEach(ConfigurableApplicationContext::close);
        stopInfrastructure.run();
    }
}
