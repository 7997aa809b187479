package io.bootswarm.tracker.launch;

import jakarta.persistence.LockModeType;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.util.Optional;
import java.util.UUID;

interface PreheatRepository extends JpaRepository<PreheatEntity, UUID> {

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select p from PreheatEntity p where p.id = :id")
    Optional<PreheatEntity> lockById(@Param("id") UUID id);

    Page<PreheatEntity> findByImageId(UUID imageId, Pageable page);
}
