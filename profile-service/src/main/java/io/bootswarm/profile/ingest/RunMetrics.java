package io.bootswarm.profile.ingest;

import io.bootswarm.profile.store.RunSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The one name of the runs-applied counter, shared by Kafka and uploads. */
public final class RunMetrics {

    public static final String RUNS_APPLIED = "bootswarm.profile.runs.applied";

    private RunMetrics() {
    }

    public static Counter applied(MeterRegistry meters, RunSource source) {
        return Counter.builder(RUNS_APPLIED).description("runs (traces) applied to profiles, by source")
                .tag("source", source.name().toLowerCase()).register(meters);
    }
}
