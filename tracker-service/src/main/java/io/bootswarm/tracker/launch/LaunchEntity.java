package io.bootswarm.tracker.launch;

import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import io.bootswarm.common.launch.LaunchOptions;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
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

    @Column(name = "workload", nullable = false)
    private String workload;

    @Enumerated(EnumType.STRING)
    @Column(name = "policy", nullable = false)
    private LaunchOptions.Policy policy;

    @Column(name = "prefetch_window", nullable = false)
    private int prefetchWindow;

    @Column(name = "background_fill", nullable = false)
    private boolean backgroundFill;

    protected LaunchEntity() {
    }

    LaunchEntity(UUID id, UUID imageId, String imageName, long imageSize, String idempotencyKey,
                 String requestFingerprint, Instant createdAt, LaunchOptions options) {
        LaunchOptions o = options.resolved();
        this.workload = o.workload();
        this.policy = o.policy();
        this.prefetchWindow = o.window();
        this.backgroundFill = o.backgroundFill();
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

    /** How the launch streams its image. */
    LaunchOptions options() {
        return new LaunchOptions(workload, policy, prefetchWindow, backgroundFill);
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
