package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.SwarmId;

/** An admin opened or closed an image to stock BitTorrent clients (published after the change commits). */
public record StockClientsChanged(SwarmId swarmId, boolean open) {
}
