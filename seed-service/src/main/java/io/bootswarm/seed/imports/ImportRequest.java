package io.bootswarm.seed.imports;

import io.swagger.v3.oas.annotations.media.Schema;

/** The body of {@code POST /api/v1/imports}. */
@Schema(name = "ImportRequest", description = "Import a file that is already on the seed's storage.")
public record ImportRequest(
        @Schema(description = "Name the image gets (unique; lower-case letters, digits, '.', '_', '-').",
                example = "debian-12-generic", requiredMode = Schema.RequiredMode.REQUIRED) String name,
        @Schema(description = "The file, relative to <storage-dir>/import; no '..' segments, no absolute paths.",
                example = "debian-12-generic-amd64.raw", requiredMode = Schema.RequiredMode.REQUIRED) String path) {
}
