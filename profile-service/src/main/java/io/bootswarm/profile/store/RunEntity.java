package io.bootswarm.profile.store;

import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** One run applied to a profile; never leaves the service. The id is the trace's id. */
@Entity
@Table(name = "profile_run")
class RunEntity extends AssignedIdEntity<UUID> {

    @Id
    @Column(name = "trace_id")
    private UUID traceId;

    @Column(name = "profile_id", nullable = false)
    private UUID profileId;

    @Enumerated(EnumType.STRING)
    @Column(name = "source", nullable = false)
    private RunSource source;

    @Column(name = "launch_id")
    private UUID launchId;

    @Column(name = "host")
    private String host;

    @Column(name = "read_count", nullable = false)
    private int readCount;

    @Column(name = "pieces_touched", nullable = false)
    private int piecesTouched;

    @Column(name = "duration_micros", nullable = false)
    private long durationMicros;

    @Column(name = "received_at", nullable = false)
    private Instant receivedAt;

    protected RunEntity() {
    }

    RunEntity(UUID traceId, UUID profileId, RunSource source, UUID launchId, String host, int readCount,
              int piecesTouched, long durationMicros, Instant receivedAt) {
        this.traceId = traceId;
        this.profileId = profileId;
        this.source = source;
        this.launchId = launchId;
        this.host = host;
        this.readCount = readCount;
        this.piecesTouched = piecesTouched;
        this.durationMicros = durationMicros;
        this.receivedAt = receivedAt;
    }

    @Override
    public UUID getId() {
        return traceId;
    }

    RunSummary summary(UUID imageId, String workload) {
        return new RunSummary(traceId, imageId, workload, source, launchId, host, readCount, piecesTouched,
                durationMicros / 1000.0, receivedAt);
    }
}
