package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Cross-image sharing (Wu et al.): which images share pieces, the piece groups of an image, and
 * the swarms related to a swarm.
 */
@RestController
@Tag(name = "sharing", description = "Pieces shared between images: similarity, piece groups, related swarms.")
class SharingController {

    private final PieceIndex index;

    SharingController(PieceIndex index) {
        this.index = index;
    }

    @GetMapping(path = "/api/v1/images/{id}/similar", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Images sharing pieces with an image", description = "Every other image that contains "
            + "some of this image's non-zero pieces (pieces are named by content, so a shared piece is one piece), "
            + "most shared bytes first. Shares are of each image's distinct non-zero pieces.", responses = {
            @ApiResponse(responseCode = "200", description = "The similar images (empty if none)."),
            @ApiResponse(responseCode = "404", description = "No such image.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    List<SimilarImage> similar(@PathVariable UUID id) {
        return index.similar(id);
    }

    @GetMapping(path = "/api/v1/images/{id}/groups", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Piece groups of an image", description = "The image's distinct non-zero pieces grouped "
            + "by the exact set of images containing them, and each piece's group. The answer's ETag is the catalog "
            + "version: groups change only when an image is added or deleted; `If-None-Match` with the last ETag "
            + "answers 304 while they have not.", responses = {
            @ApiResponse(responseCode = "200", description = "The groups."),
            @ApiResponse(responseCode = "304", description = "Unchanged since the ETag sent in If-None-Match."),
            @ApiResponse(responseCode = "404", description = "No such image.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    ResponseEntity<GroupsDocument> groups(@PathVariable UUID id,
                                          @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
        ImageGroups groups = index.groups(id);
        String etag = "\"" + groups.version() + "\"";
        if (ifNoneMatch != null && List.of(ifNoneMatch.split("\\s*,\\s*")).contains(etag)) {
            return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
        }
        return ResponseEntity.ok().eTag(etag).cacheControl(CacheControl.noCache()).body(GroupsDocument.of(groups));
    }

    @GetMapping(path = "/api/v1/swarms/related", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Swarms related to a swarm", description = "The swarms of the other images that share "
            + "non-zero pieces with the image of this swarm, most shared bytes first: their peers hold pieces this "
            + "swarm needs (the tracker hands them out as cross-image peers).", responses = {
            @ApiResponse(responseCode = "200", description = "The related swarms (empty if none)."),
            @ApiResponse(responseCode = "400", description = "The swarm id is not 40 hex digits.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "404", description = "No image has this swarm id.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    List<RelatedSwarm> related(@Parameter(description = "The swarm id, 40 hex digits.") @RequestParam String swarmId) {
        return index.related(parseSwarmId(swarmId));
    }

    /** @throws ProblemException 400 unless {@code hex} is 40 hex digits */
    static SwarmId parseSwarmId(String hex) {
        if (hex == null || !hex.matches("[0-9a-fA-F]{40}")) {
            throw ProblemException.badRequest("bad-swarm-id", "a swarm id is 40 hex digits, got '" + hex + "'")
                    .with("swarmId", hex);
        }
        return SwarmId.parse(hex.toLowerCase(Locale.ROOT));
    }
}
