package io.bootswarm.allocator.plan;

import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** A setting changed through the API and kept across restarts (the strategy). */
@Entity
@Table(name = "setting")
class SettingEntity extends AssignedIdEntity<String> {

    @Id
    private String name;
    @Column(nullable = false)
    private String value;
    @Column(nullable = false)
    private Instant updatedAt;

    protected SettingEntity() {
    }

    SettingEntity(String name, String value, Instant updatedAt) {
        this.name = name;
        this.value = value;
        this.updatedAt = updatedAt;
    }

    @Override
    public String getId() {
        return name;
    }

    String value() {
        return value;
    }

    void set(String value, Instant at) {
        this.value = value;
        this.updatedAt = at;
    }
}
