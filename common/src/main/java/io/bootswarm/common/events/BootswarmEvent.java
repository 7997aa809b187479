package io.bootswarm.common.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.time.Instant;
import java.util.UUID;

/**
 * Every event the services exchange over Kafka. The JSON carries a {@code type} naming the record
 * and its version (e.g. {@code launch-status.v1}); a consumer skips types it does not know and
 * fields it does not know, so producers can move ahead of consumers. {@link #eventId()} lets a
 * consumer recognise a redelivery.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ImageRegistered.class, name = "image-registered.v1"),
        @JsonSubTypes.Type(value = ImageDeleted.class, name = "image-deleted.v1"),
        @JsonSubTypes.Type(value = LaunchCommand.class, name = "launch-command.v1"),
        @JsonSubTypes.Type(value = LaunchStatus.class, name = "launch-status.v1"),
        @JsonSubTypes.Type(value = AccessTrace.class, name = "access-trace.v1"),
        @JsonSubTypes.Type(value = SwarmReport.class, name = "swarm-report.v1"),
        @JsonSubTypes.Type(value = AllocationPlan.class, name = "allocation-plan.v1"),
        @JsonSubTypes.Type(value = PreheatCommand.class, name = "preheat-command.v1"),
        @JsonSubTypes.Type(value = PreheatStatus.class, name = "preheat-status.v1"),
})
public sealed interface BootswarmEvent permits ImageRegistered, ImageDeleted, LaunchCommand, LaunchStatus,
        AccessTrace, SwarmReport, AllocationPlan, PreheatCommand, PreheatStatus {

    UUID eventId();

    Instant at();

    /** The Kafka record key: events with one key stay in order. */
    String key();
}
