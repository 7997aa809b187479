package io.bootswarm.profile.store;

import jakarta.persistence.LockModeType;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.util.Optional;
import java.util.UUID;

interface ProfileRepository extends JpaRepository<ProfileEntity, UUID> {

    Optional<ProfileEntity> findByImageIdAndWorkload(UUID imageId, String workload);

    /** The profile, locked until the transaction ends: runs and deletions of one profile take turns. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select p from ProfileEntity p where p.imageId = :imageId and p.workload = :workload")
    Optional<ProfileEntity> lock(@Param("imageId") UUID imageId, @Param("workload") String workload);

    Page<ProfileEntity> findByImageId(UUID imageId, Pageable page);
}
