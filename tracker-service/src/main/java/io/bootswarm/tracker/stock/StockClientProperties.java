package io.bootswarm.tracker.stock;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.tracker.stock-clients.*}: stock BitTorrent clients, which announce with a passkey.
 *
 * @param openCacheTtl how long the seed's answer to "is this swarm open to stock clients" is kept
 *                     (a closed image stops being handed out at most this long after it is closed)
 * @param publicUrl    the tracker's base URL as BitTorrent clients reach it, for the announce URL of the
 *                     .torrents it serves; empty to take it from the request
 */
@ConfigurationProperties("bootswarm.tracker.stock-clients")
public record StockClientProperties(@DefaultValue("10s") Duration openCacheTtl, @DefaultValue("") String publicUrl) {

    public StockClientProperties {
        if (openCacheTtl.isNegative()) {
            throw new IllegalArgumentException("bootswarm.tracker.stock-clients.open-cache-ttl must not be negative");
        }
        publicUrl = publicUrl == null ? "" : publicUrl.strip().replaceAll("/+$", "");
    }
}
