package io.bootswarm.allocator.plan;

import org.springframework.data.jpa.repository.JpaRepository;

/** The {@code setting} table. */
interface SettingRepository extends JpaRepository<SettingEntity, String> {
}
