package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.SwarmId;
import io.swagger.v3.oas.annotations.media.Schema;

import java.util.UUID;

/**
 * Whether an image is open to stock BitTorrent clients.
 *
 * @param imageId the image
 * @param swarmId its swarm id (40 hex digits)
 * @param open    true: the seed serves its swarm to peers without a peer access token
 */
@Schema(name = "StockClients", description = "Whether stock BitTorrent clients may fetch an image from the seed")
public record StockClients(UUID imageId, String swarmId, boolean open) {

    /** The projection of the image table. */
    StockClients(UUID imageId, byte[] swarmId, boolean open) {
        this(imageId, SwarmId.of(swarmId).hex(), open);
    }
}
