package io.bootswarm.seed.allocation;

import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.Locale;

/** The seed's applied upload split, read-only (allocator-service decides it). */
@RestController
@Tag(name = "allocation", description = "How the seed's upload is split over the swarms.")
class AllocationController {

    private final UploadSplit split;

    AllocationController(UploadSplit split) {
        this.split = split;
    }

    @GetMapping(path = "/api/v1/allocation", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The applied upload split", description = "Per swarm (piece group, or image in an "
            + "image-level plan) the seed's upload rate in force, where it comes from (allocator-service's plan, "
            + "or the fallback split by reported missing bytes while no plan is fresh) and the bytes served per "
            + "group.")
    SplitView split() {
        return SplitView.of(split.current(), split.groupUploadedBytes());
    }

    @GetMapping(path = "/api/v1/allocation/groups/{groupId}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "One piece group's rate", description = "The group's applied rate and the bytes of its "
            + "pieces served.", responses = {
            @ApiResponse(responseCode = "200", description = "The group."),
            @ApiResponse(responseCode = "400", description = "Not a group id (32 hex digits).", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "404", description = "The split does not name the group and none of its "
                    + "pieces were served.", content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    SplitView.SwarmRate group(@PathVariable String groupId) {
        if (!groupId.matches("[0-9a-fA-F]{32}")) {
            throw ProblemException.badRequest("bad-group-id", "a piece group id is 32 hex digits, got '" + groupId + "'")
                    .with("groupId", groupId);
        }
        String id = groupId.toLowerCase(Locale.ROOT);
        return SplitView.of(split.current(), split.groupUploadedBytes()).swarms().stream()
                .filter(r -> id.equals(r.groupId())).findFirst()
                .orElseThrow(() -> ProblemException.notFound("group-not-in-split", "the split names no group " + id
                        + " and none of its pieces were served").with("groupId", id));
    }
}
