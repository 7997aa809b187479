package io.bootswarm.tracker.launch;

import jakarta.persistence.LockModeType;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

interface LaunchRepository extends JpaRepository<LaunchEntity, UUID> {

    Optional<LaunchEntity> findByIdempotencyKey(String idempotencyKey);

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select l from LaunchEntity l where l.id = :id")
    Optional<LaunchEntity> lockById(@Param("id") UUID id);

    Page<LaunchEntity> findByImageId(UUID imageId, Pageable page);

    /** Launches not asked to stop with a host in one of {@code states}. */
    @Query("""
            select l from LaunchEntity l where l.stopRequestedAt is null and exists (
              select h from LaunchHostEntity h where h.id.launchId = l.id and h.state in :states)""")
    Page<LaunchEntity> findLive(@Param("states") Collection<HostLaunchState> states, Pageable page);

    /** The launches of {@code imageId} not asked to stop with a host in one of {@code states}. */
    @Query("""
            select l from LaunchEntity l where l.imageId = :imageId and l.stopRequestedAt is null and exists (
              select h from LaunchHostEntity h where h.id.launchId = l.id and h.state in :states)""")
    Page<LaunchEntity> findLive(@Param("imageId") UUID imageId, @Param("states") Collection<HostLaunchState> states,
                                Pageable page);

    /** All of {@link #findLive(UUID, Collection, Pageable)}, locked for a stop, oldest first. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("""
            select l from LaunchEntity l where l.imageId = :imageId and l.stopRequestedAt is null and exists (
              select h from LaunchHostEntity h where h.id.launchId = l.id and h.state in :states)
            order by l.createdAt, l.id""")
    List<LaunchEntity> lockLive(@Param("imageId") UUID imageId, @Param("states") Collection<HostLaunchState> states);
}
