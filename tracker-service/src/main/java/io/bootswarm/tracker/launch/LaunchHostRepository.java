package io.bootswarm.tracker.launch;

import jakarta.persistence.LockModeType;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

interface LaunchHostRepository extends JpaRepository<LaunchHostEntity, LaunchHostKey> {

    @Query("select h from LaunchHostEntity h where h.id.launchId = :launchId order by h.position")
    List<LaunchHostEntity> findByLaunch(@Param("launchId") UUID launchId);

    @Query("select h from LaunchHostEntity h where h.id.launchId in :launchIds order by h.position")
    List<LaunchHostEntity> findByLaunches(@Param("launchIds") Collection<UUID> launchIds);

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select h from LaunchHostEntity h where h.id.launchId = :launchId and h.id.host = :host")
    Optional<LaunchHostEntity> lock(@Param("launchId") UUID launchId, @Param("host") String host);

    /** Sets the rows in one of {@code states} of launches created before {@code cutoff} to {@code to}; returns how many. */
    @Modifying
    @Query("""
            update LaunchHostEntity h set h.state = :to, h.detail = :detail, h.updatedAt = :now
            where h.state in :states
              and h.id.launchId in (select l.id from LaunchEntity l where l.createdAt < :cutoff)""")
    int failCreatedBefore(@Param("cutoff") Instant cutoff, @Param("states") Collection<HostLaunchState> states,
                          @Param("to") HostLaunchState to, @Param("detail") String detail, @Param("now") Instant now);
}
