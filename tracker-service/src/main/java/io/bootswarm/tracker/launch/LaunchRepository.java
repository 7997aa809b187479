package io.bootswarm.tracker.launch;

import jakarta.persistence.LockModeType;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.util.Optional;
import java.util.UUID;

interface LaunchRepository extends JpaRepository<LaunchEntity, UUID> {

    Optional<LaunchEntity> findByIdempotencyKey(String idempotencyKey);

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select l from LaunchEntity l where l.id = :id")
    Optional<LaunchEntity> lockById(@Param("id") UUID id);
}
