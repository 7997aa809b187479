package io.bootswarm.common.events;

/** Kafka topic names; the suffix is the topic's format version. */
public final class Topics {

    /** {@link ImageRegistered} and {@link ImageDeleted}, keyed by image id. Producer: seed-service. */
    public static final String IMAGES = "bootswarm.images.v1";

    /**
     * {@link LaunchCommand} and {@link PreheatCommand}, keyed by host name. Producer: tracker-service; consumers:
     * node agents.
     */
    public static final String LAUNCH_COMMANDS = "bootswarm.launch-commands.v1";

    /**
     * {@link LaunchStatus}, keyed by launch id, and {@link PreheatStatus}, keyed by preheat id. Producers: node
     * agents; consumer: tracker-service.
     */
    public static final String LAUNCH_STATUS = "bootswarm.launch-status.v1";

    /** {@link AccessTrace} chunks, keyed by trace id. Producers: node agents; consumer: profile-service. */
    public static final String ACCESS_TRACES = "bootswarm.access-traces.v1";

    /**
     * {@link SwarmReport}s, keyed by host. Producers: node agents; consumers: allocator-service,
     * seed-service (its fallback split while no plan is fresh).
     */
    public static final String SWARM_REPORTS = "bootswarm.swarm-reports.v1";

    /**
     * {@link AllocationPlan}s, all with one key ({@link AllocationPlan#KEY}): one ordered stream.
     * Producer: allocator-service; consumer: seed-service.
     */
    public static final String ALLOCATION_PLANS = "bootswarm.allocation-plans.v1";

    /**
     * Tracker replicas' shared swarm view: each accepted announce (and seed registration) as the peer's latest
     * entry, keyed {@code peer/<swarm>/<peer id>} or {@code seed/<id>}; a stopped peer is a tombstone.
     * Compacted, and records older than an hour deleted (a live peer re-announces
     * long before). Producers and consumers: every tracker-service replica.
     */
    public static final String SWARM_PEERS = "bootswarm.swarm-peers.v1";

    private Topics() {
    }
}
