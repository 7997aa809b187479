package io.bootswarm.allocator;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.springframework.context.ConfigurableApplicationContext;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Closes the Spring contexts the integration tests used when the test session ends, while the
 * shared PostgreSQL and Kafka still run; left to shutdown hooks, a Kafka consumer or the planner
 * talking to infrastructure already gone can hold the forked JVM's exit.
 */
public final class CloseContextsAtSessionEnd implements LauncherSessionListener {

    private static final Set<ConfigurableApplicationContext> CONTEXTS = Collections.synchronizedSet(new LinkedHashSet<>());

    public static void register(ConfigurableApplicationContext context) {
        CONTEXTS.add(context);
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        List<ConfigurableApplicationContext> contexts;
        synchronized (CONTEXTS) {
            contexts = new ArrayList<>(CONTEXTS);
            CONTEXTS.clear();
        }
        Collections.reverse(contexts);
        contexts.forEach(ConfigurableApplicationContext::close);
    }
}
