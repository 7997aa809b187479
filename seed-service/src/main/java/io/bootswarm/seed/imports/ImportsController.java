package io.bootswarm.seed.imports;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.util.List;
import java.util.UUID;

/** {@code /api/v1/imports}: start a path import; watch imports and uploads. */
@RestController
@RequestMapping(path = "/api/v1/imports", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "imports", description = "Image imports and their progress.")
class ImportsController {

    private final ImportService imports;

    ImportsController(ImportService imports) {
        this.imports = imports;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Import a file from the seed's storage", description = "Copies `path` (relative to "
            + "`<storage-dir>/import`) into the catalog as `name`, hashing while it copies, in the background. "
            + "Answers at once with the RUNNING import; watch it at the Location.", responses = {
            @ApiResponse(responseCode = "202", description = "Started; Location names the import."),
            @ApiResponse(responseCode = "400", description = "Bad name, bad or missing path, not a regular file, "
                    + "empty file, or malformed JSON.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "409", description = "The name is taken.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "413", description = "The file is larger than the limit.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))})
    ResponseEntity<ImportView> start(@RequestBody ImportRequest request) {
        ImportView view = imports.startPathImport(request);
        return ResponseEntity.accepted().location(ServletUriComponentsBuilder.fromCurrentContextPath()
                .path("/api/v1/imports/{id}").buildAndExpand(view.id()).toUri()).body(view);
    }

    @GetMapping
    @Operation(summary = "List imports", description = "The 500 most recent imports, uploads included, newest first; "
            + "RUNNING ones show their live byte count.")
    List<ImportView> list() {
        return imports.list();
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get an import", responses = {
            @ApiResponse(responseCode = "200", description = "The import."),
            @ApiResponse(responseCode = "404", description = "No such import.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))})
    ImportView get(@PathVariable UUID id) {
        return imports.get(id);
    }
}
