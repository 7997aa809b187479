package io.bootswarm.fleet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Base of the end-to-end tests: each test class gets a local fleet of its own (infrastructure and
 * services, no agents) in a temporary directory, started before its tests and closed after them,
 * and a client of the fleet's REST APIs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FleetITSupport {

    /** How long one end-to-end step may take. */
    static final Duration T = Duration.ofMinutes(2);

    @TempDir
    static Path work;

    static LocalFleet fleet;
    static FleetClient client;

    /** The options the test class's fleet starts with: the test defaults unless the class changes them. */
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults;
    }

    @BeforeAll
    void startFleet() {
        fleet = LocalFleet.start(options(LocalFleet.Options.forTests(work.resolve("fleet"))));
        client = fleet.client();
    }

    @AfterAll
    void stopFleet() {
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
    }
}
