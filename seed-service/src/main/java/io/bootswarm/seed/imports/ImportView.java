package io.bootswarm.seed.imports;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.UUID;

/** An import (upload or path import) as the REST API shows it. */
@Schema(name = "Import", description = "An image import: a streaming upload or a copy from the import directory.")
public record ImportView(
        @Schema(description = "The import's id.") UUID id,
        @Schema(description = "UPLOAD (streamed to POST /api/v1/images) or PATH (POST /api/v1/imports).") ImportKind kind,
        @Schema(description = "Name the image gets.") String name,
        @Schema(description = "For PATH imports, the file relative to the import directory.", nullable = true)
        String source,
        @Schema(description = "RUNNING, DONE or FAILED.") ImportState state,
        @Schema(description = "Bytes read, hashed and stored so far.") long bytesDone,
        @Schema(description = "Total bytes, when known (path imports; uploads with a Content-Length).", nullable = true)
        Long bytesTotal,
        @Schema(description = "The catalogued image, once DONE.", nullable = true) UUID imageId,
        @Schema(description = "Why the import FAILED.", nullable = true) String error,
        @Schema(description = "When the import started.") Instant startedAt,
        @Schema(description = "When it finished (DONE or FAILED).", nullable = true) Instant finishedAt) {
}
