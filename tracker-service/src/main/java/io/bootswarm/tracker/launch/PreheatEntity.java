package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.PreheatCommand;
import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A preheat as stored; never leaves the service. */
@Entity
@Table(name = "preheats")
class PreheatEntity extends AssignedIdEntity<UUID> {

    @Id
    private UUID id;

    @Column(name = "image_id", nullable = false)
    private UUID imageId;

    @Column(name = "image_name", nullable = false)
    private String imageName;

    @Column(name = "workload", nullable = false)
    private String workload;

    @Enumerated(EnumType.STRING)
    @Column(name = "scope", nullable = false)
    private PreheatCommand.Scope scope;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "cancel_requested_at")
    private Instant cancelRequestedAt;

    protected PreheatEntity() {
    }

    PreheatEntity(UUID id, UUID imageId, String imageName, String workload, PreheatCommand.Scope scope,
                  Instant createdAt) {
        this.id = id;
        this.imageId = imageId;
        this.imageName = imageName;
        this.workload = workload;
        this.scope = scope;
        this.createdAt = createdAt;
    }

    @Override
    public UUID getId() {
        return id;
    }

    UUID imageId() {
        return imageId;
    }

    String imageName() {
        return imageName;
    }

    String workload() {
        return workload;
    }

    PreheatCommand.Scope scope() {
        return scope;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant cancelRequestedAt() {
        return cancelRequestedAt;
    }

    void cancelRequested(Instant at) {
        this.cancelRequestedAt = at;
    }
}
