package io.bootswarm.seed.serving;

import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.catalog.StockClientsChanged;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * An image closed to stock clients drops its swarm's connections: peers with an access token
 * reconnect and are let in again, the stock clients admitted while it was open are not.
 */
@Component
class StockClientsClosing {

    private final PeerWireServer server;

    StockClientsClosing(PeerWireServer server) {
        this.server = server;
    }

    @EventListener
    void onChanged(StockClientsChanged event) {
        if (!event.open()) {
            server.disconnect(event.swarmId());
        }
    }
}
