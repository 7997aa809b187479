package io.bootswarm.seed.imports;

import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** One import as the {@code image_import} table holds it. */
@Entity
@Table(name = "image_import")
class ImportEntity extends AssignedIdEntity<UUID> {

    @Id
    private UUID id;
    @Enumerated(EnumType.STRING)
    private ImportKind kind;
    private String name;
    private String source;
    @Enumerated(EnumType.STRING)
    private ImportState state;
    private long bytesDone;
    private Long bytesTotal;
    private UUID imageId;
    private String error;
    private Instant startedAt;
    private Instant finishedAt;
    private String owner;
    private Instant heartbeatAt;

    protected ImportEntity() {
    }

    /** A RUNNING import of seed {@code owner} (its id), its heartbeat taken now. */
    ImportEntity(UUID id, ImportKind kind, String name, String source, Long bytesTotal, Instant startedAt,
                 String owner) {
        this.id = id;
        this.owner = owner;
        this.heartbeatAt = startedAt;
        this.kind = kind;
        this.name = name;
        this.source = source;
        this.state = ImportState.RUNNING;
        this.bytesTotal = bytesTotal;
        this.startedAt = startedAt;
    }

    @Override
    public UUID getId() {
        return id;
    }

    ImportView view(Long liveBytes) {
        return new ImportView(id, kind, name, source, state, liveBytes != null ? liveBytes : bytesDone, bytesTotal,
                imageId, error, startedAt, finishedAt);
    }
}
