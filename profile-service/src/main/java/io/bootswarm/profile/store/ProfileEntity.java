package io.bootswarm.profile.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A profile's summary row as stored; never leaves the service. Rows are created by SQL (see {@link ProfileStore}). */
@Entity
@Table(name = "profile")
class ProfileEntity {

    @Id
    private UUID id;

    @Column(name = "image_id", nullable = false)
    private UUID imageId;

    @Column(name = "workload", nullable = false)
    private String workload;

    @Column(name = "piece_size", nullable = false)
    private int pieceSize;

    @Column(name = "runs", nullable = false)
    private int runs;

    @Column(name = "pieces", nullable = false)
    private int pieces;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    protected ProfileEntity() {
    }

    UUID id() {
        return id;
    }

    UUID imageId() {
        return imageId;
    }

    String workload() {
        return workload;
    }

    int pieceSize() {
        return pieceSize;
    }

    int runs() {
        return runs;
    }

    /** One more run applied; {@code pieces} is the profile's distinct piece count after it. */
    void runApplied(int pieces, Instant at) {
        this.runs++;
        this.pieces = pieces;
        this.updatedAt = at;
    }

    ProfileSummary summary() {
        return new ProfileSummary(imageId, workload, pieceSize, runs, pieces, createdAt, updatedAt);
    }
}
