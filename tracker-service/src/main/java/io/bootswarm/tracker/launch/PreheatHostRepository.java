package io.bootswarm.tracker.launch;

import jakarta.persistence.LockModeType;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

interface PreheatHostRepository extends JpaRepository<PreheatHostEntity, PreheatHostKey> {

    @Query("select h from PreheatHostEntity h where h.id.preheatId = :preheatId order by h.position")
    List<PreheatHostEntity> findByPreheat(@Param("preheatId") UUID preheatId);

    @Query("select h from PreheatHostEntity h where h.id.preheatId in :preheatIds order by h.position")
    List<PreheatHostEntity> findByPreheats(@Param("preheatIds") Collection<UUID> preheatIds);

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select h from PreheatHostEntity h where h.id.preheatId = :preheatId and h.id.host = :host")
    Optional<PreheatHostEntity> lock(@Param("preheatId") UUID preheatId, @Param("host") String host);
}
