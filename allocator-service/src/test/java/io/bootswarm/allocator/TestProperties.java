package io.bootswarm.allocator;

import io.bootswarm.allocation.Strategy;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/** {@link AllocatorProperties} for unit tests: u_s 100 MB/s, 1 s period, reports live 3 s, plans valid 2 s. */
public final class TestProperties {

    private TestProperties() {
    }

    public static AllocatorProperties of(Strategy strategy) {
        return new AllocatorProperties(DataSize.ofMegabytes(100), Duration.ofSeconds(1), strategy, Duration.ofSeconds(1),
                3, Duration.ofSeconds(2), Duration.ofDays(1), 2000, 1000, 100);
    }
}
