package io.bootswarm.seed.imports;

import io.bootswarm.seed.catalog.ImageView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.io.IOException;

/**
 * {@code POST /api/v1/images?name=...}: the request body, a raw disk image, is read straight from
 * the servlet input stream (never buffered by Spring) through the piece splitter onto disk.
 */
@RestController
@Tag(name = "images")
class UploadController {

    private final ImportService imports;

    UploadController(ImportService imports) {
        this.imports = imports;
    }

    @PostMapping(path = "/api/v1/images", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Upload an image", description = "Streams a raw disk image in the request body "
            + "(`Content-Type: application/octet-stream`; Content-Length or chunked). The seed splits it into pieces, "
            + "hashes each (SHA-256, SHA-1, zero detection), stores it, and catalogues it; an `image-registered` event "
            + "follows on Kafka. While it streams, the upload shows under `/api/v1/imports`. Multi-GB images are "
            + "never held in memory. An upload larger than `bootswarm.seed.max-image-size` is cut off with 413.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    description = "The raw image bytes.", content = @Content(
                    mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
                    schema = @Schema(type = "string", format = "binary"))),
            responses = {
                    @ApiResponse(responseCode = "201", description = "Catalogued; Location names the image."),
                    @ApiResponse(responseCode = "400", description = "Bad name, empty body, or the stream broke.",
                            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                                    schema = @Schema(implementation = ProblemDetail.class))),
                    @ApiResponse(responseCode = "409", description = "The name is taken.", content = @Content(
                            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                            schema = @Schema(implementation = ProblemDetail.class))),
                    @ApiResponse(responseCode = "413", description = "Larger than the limit.", content = @Content(
                            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                            schema = @Schema(implementation = ProblemDetail.class)))})
    ResponseEntity<ImageView> upload(
            @Parameter(description = "Name of the new image (unique; lower-case letters, digits, '.', '_', '-').",
                    required = true, example = "debian-12-generic") @RequestParam String name,
            HttpServletRequest request) throws IOException {
        ImageView image = imports.upload(name, request.getContentLengthLong(), request.getInputStream());
        return ResponseEntity.created(ServletUriComponentsBuilder.fromCurrentContextPath()
                .path("/api/v1/images/{id}").buildAndExpand(image.id()).toUri()).body(image);
    }
}
