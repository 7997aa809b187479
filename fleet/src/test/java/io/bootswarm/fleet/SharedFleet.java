package io.bootswarm.fleet;

import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * One local fleet (test options, no agents of its own) that the end-to-end test classes which take
 * it as it is share, instead of starting and stopping a fleet per class: most of a class's time was
 * the fleet's start (infrastructure and four services, 20 s and more on a busy machine).
 *
 * <p>Each class still gets a fleet in a known state: the shared one is checked before it is handed out
 * (every service still running, else it is closed and a new one started), a class's agents are closed
 * when it ends ({@link FleetITSupport}), and every test makes its own images, hosts and launches. A
 * class that changes the fleet's options or takes its services down starts its own fleet; the shared
 * one is closed first, so that one fleet at a time runs; a class that breaks it (a fault test) is its
 * last user, and it is closed after that class. It is closed for good when the test run ends
 * (the root extension context's store closes it).
 */
final class SharedFleet implements BeforeAllCallback {

    private static final Logger log = LoggerFactory.getLogger(SharedFleet.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedFleet.class);

    private static Holder holder;

    /** Makes sure the shared fleet, once started, is closed when the whole test run ends. */
    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(NAMESPACE).computeIfAbsent(Holder.class, k -> holder(), Holder.class);
    }

    private static synchronized Holder holder() {
        if (holder == null) {
            holder = new Holder();
        }
        return holder;
    }

    /** The shared fleet, started now if none runs or the one there is no longer whole. */
    static LocalFleet acquire() {
        return holder().acquire();
    }

    /** Closes the shared fleet (if one runs), before a class starts a fleet of its own. */
    static void closeShared() {
        holder().close();
    }

    /** The shared fleet and its work directory, closed by JUnit at the end of the run. */
    private static final class Holder implements AutoCloseable {
        private LocalFleet fleet;
        private Path work;

        synchronized LocalFleet acquire() {
            if (fleet != null && !whole(fleet)) {
                log.warn("the shared fleet lost a service; starting a new one");
                close();
            }
            if (fleet == null) {
                try {
                    work = Files.createTempDirectory("bootswarm-shared-fleet");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")));
            }
            return fleet;
        }

        private static boolean whole(LocalFleet fleet) {
            return running(fleet.tracker()) && running(fleet.seed()) && running(fleet.allocator());
        }

        private static boolean running(ConfigurableApplicationContext context) {
            return context != null && context.isActive();
        }

        @Override
        public synchronized void close() {
            if (fleet != null) {
                try {
                    fleet.close();
                } finally {
                    fleet = null;
                    try {
                        FileSystemUtils.deleteRecursively(work);
                    } catch (IOException e) {
                        log.warn("deleting {}: {}", work, e.toString());
                    }
                }
            }
        }
    }

    /**
     * Runs the classes that share the fleet first, then those that break it (its last users), then the
     * others (each with a fleet of its own), by name within each group: the shared fleet starts once
     * rather than again after every class that needed its own. Configured in
     * {@code junit-platform.properties}.
     */
    static final class SharersFirst implements ClassOrderer {
        @Override
        public void orderClasses(ClassOrdererContext context) {
            context.getClassDescriptors().sort(Comparator
                    .comparingInt((ClassDescriptor d) -> FleetITSupport.fleetOrder(d.getTestClass()))
                    .thenComparing(d -> d.getTestClass().getName()));
        }
    }
}
