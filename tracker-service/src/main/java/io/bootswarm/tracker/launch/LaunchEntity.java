package io.bootswarm.tracker.launch;

import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A launch as stored; never leaves the service. */
@Entity
@Table(name = "launches")
class LaunchEntity extends AssignedIdEntity<UUID> {

    @Id
    private UUID id;

    @Column(name = "image_id", nullable = false)
    private UUID imageId;

    @Column(name = "image_name", nullable = false)
    private String imageName;

    @Column(name = "image_size", nullable = false)
    private long imageSize;

    @Column(name = "idempotency_key")
    private String idempotencyKey;

    @Column(name = "request_fingerprint", nullable = false)
    private String requestFingerprint;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "stop_requested_at")
    private Instant stopRequestedAt;

    protected LaunchEntity() {
    }

    LaunchEntity(UUID id, UUID imageId, String imageName, long imageSize, String idempotencyKey,
                 String requestFingerprint, Instant createdAt) {
        this.id = id;
        this.imageId = imageId;
        this.imageName = imageName;
        this.imageSize = imageSize;
        this.idempotencyKey = idempotencyKey;
        this.requestFingerprint = requestFingerprint;
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

    long imageSize() {
        return imageSize;
    }

    String requestFingerprint() {
        return requestFingerprint;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant stopRequestedAt() {
        return stopRequestedAt;
    }

    void stopRequested(Instant at) {
        this.stopRequestedAt = at;
    }
}
