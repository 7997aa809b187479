package io.bootswarm.profile.store;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.UUID;

/** One run a profile is built from. */
@Schema(name = "Run", description = "One run (an access trace) applied to a profile.")
public record RunSummary(
        @Schema(description = "The trace's id (an agent's, or generated for an upload); a trace is applied once.")
        UUID traceId,
        UUID imageId,
        String workload,
        @Schema(description = "KAFKA (sent by an agent) or UPLOAD (by an admin).") RunSource source,
        @Schema(description = "The launch that recorded it (Kafka traces).", nullable = true) UUID launchId,
        @Schema(description = "The host that recorded it (Kafka traces).", nullable = true) String host,
        @Schema(description = "READ requests in the trace.", example = "1012") int readCount,
        @Schema(description = "Distinct pieces the reads touched.", example = "291") int piecesTouched,
        @Schema(description = "Time of the latest read since the disk was opened, milliseconds.", example = "43086.098")
        double durationMillis,
        @Schema(description = "When the run was applied.") Instant receivedAt) {
}
