package io.bootswarm.profile.store;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;

import java.util.UUID;

interface RunRepository extends JpaRepository<RunEntity, UUID> {

    Page<RunEntity> findByProfileId(UUID profileId, Pageable page);
}
