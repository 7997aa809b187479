package io.bootswarm.seed.imports;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;
import org.springframework.transaction.annotation.Transactional;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The {@code image_import} table. State changes only ever leave RUNNING. */
interface ImportRepository extends JpaRepository<ImportEntity, UUID> {

    List<ImportEntity> findTop500ByOrderByStartedAtDesc();

    @Transactional
    @Modifying
    @Query("update ImportEntity i set i.bytesDone = :bytes where i.id = :id and i.state = :running")
    int progress(@Param("id") UUID id, @Param("bytes") long bytes, @Param("running") ImportState running);

    @Transactional
    @Modifying
    @Query("update ImportEntity i set i.state = :done, i.bytesDone = :bytes, i.bytesTotal = :bytes, "
            + "i.imageId = :imageId, i.finishedAt = :at where i.id = :id and i.state = :running")
    int done(@Param("id") UUID id, @Param("imageId") UUID imageId, @Param("bytes") long bytes,
             @Param("at") Instant at, @Param("done") ImportState done, @Param("running") ImportState running);

    @Transactional
    @Modifying
    @Query("update ImportEntity i set i.state = :failed, i.bytesDone = :bytes, i.error = :error, i.finishedAt = :at, "
            + "i.imageId = null where i.id = :id and i.state = :running")
    int failed(@Param("id") UUID id, @Param("bytes") long bytes, @Param("error") String error,
               @Param("at") Instant at, @Param("failed") ImportState failed, @Param("running") ImportState running);

    /** Names the image a RUNNING import is about to move into {@code images/}, so that recovery can find its file. */
    @Transactional
    @Modifying
    @Query("update ImportEntity i set i.imageId = :imageId where i.id = :id and i.state = :running")
    int imageChosen(@Param("id") UUID id, @Param("imageId") UUID imageId, @Param("running") ImportState running);
}
