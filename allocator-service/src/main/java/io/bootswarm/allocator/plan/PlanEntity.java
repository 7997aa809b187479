package io.bootswarm.allocator.plan;

import io.bootswarm.common.jpa.AssignedIdEntity;
import io.bootswarm.allocator.leader.Term;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A plan of the history as the {@code plan} table holds it. Never leaves the plan package. */
@Entity
@Table(name = "plan")
class PlanEntity extends AssignedIdEntity<UUID> {

    @Id
    private UUID id;
    @Column(nullable = false)
    private Instant createdAt;
    @Column(nullable = false)
    private String strategy;
    @Column(nullable = false)
    private String level;
    private long seedUpload;
    @Column(nullable = false)
    private Instant validUntil;
    private double maxRemainingSeconds;
    private double lowerBound;
    private double gap;
    private int iterations;
    private double residual;
    private long solveNanos;
    private int hosts;
    private int swarmCount;
    private double remainingBytes;
    private double peerUpload;
    /** The per-swarm lines as JSON (see {@link PlanStore}). */
    @Column(nullable = false)
    private String swarms;
    /** The instance that made it (null before leader election existed). */
    private String leader;
    /** The leadership epoch it was made in (0: no election). */
    private long epoch;

    protected PlanEntity() {
    }

    PlanEntity(PlanRecord r, String swarmsJson, Term term) {
        this.leader = term.holder();
        this.epoch = term.epoch();
        this.id = r.planId();
        this.createdAt = r.at();
        this.strategy = r.strategy().name();
        this.level = r.level().name();
        this.seedUpload = r.seedUpload();
        this.validUntil = r.validUntil();
        this.maxRemainingSeconds = r.maxRemainingSeconds();
        this.lowerBound = r.lowerBound();
        this.gap = r.gap();
        this.iterations = r.iterations();
        this.residual = r.residual();
        this.solveNanos = r.solveNanos();
        this.hosts = r.hosts();
        this.swarmCount = r.swarms().size();
        this.remainingBytes = r.totalRemainingBytes();
        this.peerUpload = r.totalPeerUploadRate();
        this.swarms = swarmsJson;
    }

    @Override
    public UUID getId() {
        return id;
    }

    String swarms() {
        return swarms;
    }

    PlanSummary summary() {
        return new PlanSummary(id, createdAt, strategy, level, seedUpload, validUntil, maxRemainingSeconds, lowerBound,
                gap, iterations, residual, solveNanos, hosts, swarmCount, remainingBytes, peerUpload, leader, epoch);
    }
}
