package io.bootswarm.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Ends a test session in order: first the Spring application contexts the tests used (newest first),
 * then every {@link AfterContextsClosed} on the class path (bootswarm-infra's stops the shared
 * PostgreSQL and Kafka). Left to the JVM's shutdown hooks, the contexts and the infrastructure stop
 * concurrently, and a Kafka consumer or scheduled task talking to a broker or database already gone can
 * hold the forked JVM's exit for tens of seconds.
 *
 * <p>The one session listener of the build: every module with bootswarm-test-fixtures on its test class
 * path gets it without doing anything. It is a JUnit {@link LauncherSessionListener} (registered in
 * {@code META-INF/services}) and a Spring {@link TestExecutionListener} that notes each test's
 * application context (registered in {@code META-INF/spring.factories}); a context a test starts by
 * itself ({@code SpringApplication.run}) is handed in with {@link #register}.
 */
public final class CloseContextsAtSessionEnd implements LauncherSessionListener, TestExecutionListener, Ordered {

    private static final Logger log = LoggerFactory.getLogger(CloseContextsAtSessionEnd.class);

    private static final Set<ConfigurableApplicationContext> CONTEXTS = Collections.synchronizedSet(new LinkedHashSet<>());

    private final Runnable afterContexts;

    /** As JUnit and Spring instantiate it: runs the {@link AfterContextsClosed} found by the service loader. */
    public CloseContextsAtSessionEnd() {
        this(CloseContextsAtSessionEnd::runAfterContextsClosed);
    }

    /** With {@code afterContexts} run after the contexts have closed (for tests of this class). */
    public CloseContextsAtSessionEnd(Runnable afterContexts) {
        this.afterContexts = afterContexts;
    }

    /** Closes {@code context} at the end of the session unless it has closed before. */
    public static void register(ConfigurableApplicationContext context) {
        if (CONTEXTS.add(context)) {
            context.addApplicationListener((ApplicationListener<ContextClosedEvent>) e -> {
                if (e.getApplicationContext() == context) {
                    CONTEXTS.remove(context);
                }
            });
        }
    }

    /** The contexts still to close (for tests of this class). */
    public static List<ConfigurableApplicationContext> registered() {
        synchronized (CONTEXTS) {
            return List.copyOf(CONTEXTS);
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    /** Runs after Spring has injected the test instance, so its context is loaded if it has one. */
    @Override
    public void prepareTestInstance(TestContext testContext) {
        if (testContext.hasApplicationContext()
                && testContext.getApplicationContext() instanceof ConfigurableApplicationContext context) {
            register(context);
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        List<ConfigurableApplicationContext> contexts;
        synchronized (CONTEXTS) {
            contexts = new ArrayList<>(CONTEXTS);
        }
        contexts.reversed().forEach(ConfigurableApplicationContext::close);
        afterContexts.run();
    }

    private static void runAfterContextsClosed() {
        for (AfterContextsClosed hook : ServiceLoader.load(AfterContextsClosed.class)) {
            try {
                hook.afterContextsClosed();
            } catch (RuntimeException e) {
                log.warn("{} failed at the end of the test session: {}", hook.getClass().getName(), e.toString());
            }
        }
    }
}
