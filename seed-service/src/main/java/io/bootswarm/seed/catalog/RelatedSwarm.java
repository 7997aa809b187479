package io.bootswarm.seed.catalog;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.UUID;

/** The swarm of another image that shares pieces with a swarm (what the tracker asks for). */
@Schema(name = "RelatedSwarm", description = "The swarm of another image sharing pieces with the given swarm.")
public record RelatedSwarm(
        @Schema(description = "The other image's swarm id (40 hex digits).") String swarmId,
        @Schema(description = "The other image.") UUID imageId,
        @Schema(description = "Distinct non-zero pieces the two images share.") long sharedPieces) {
}
