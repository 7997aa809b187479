package io.bootswarm.allocator.plan;

import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The {@code plan} table; listing reads summaries only (the per-swarm lines can be large). */
interface PlanRepository extends JpaRepository<PlanEntity, UUID> {

    String SUMMARY = "select new io.bootswarm.allocator.plan.PlanSummary(p.id, p.createdAt, p.strategy, p.level, "
            + "p.seedUpload, p.validUntil, p.maxRemainingSeconds, p.lowerBound, p.gap, p.iterations, p.residual, "
            + "p.solveNanos, p.hosts, p.swarmCount, p.remainingBytes, p.peerUpload, p.leader, p.epoch) "
            + "from PlanEntity p ";

    @Query(SUMMARY + "order by p.createdAt desc, p.id")
    List<PlanSummary> summaries(Pageable page);

    Optional<PlanEntity> findFirstByOrderByCreatedAtDescIdAsc();

    @Modifying
    @Query("delete from PlanEntity p where p.createdAt < :before")
    int deleteOlderThan(@Param("before") Instant before);

    @Modifying
    @Query(value = "delete from plan where created_at <= (select created_at from plan order by created_at desc "
            + "offset :keep limit 1)", nativeQuery = true)
    int deleteBeyond(@Param("keep") int keep);
}
