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
 * @param passkeyCacheTtl how long a passkey's owner, once read from the database, is kept in memory (so that
 *                     a stock announce costs no query); a revoked or replaced passkey is dropped from this
 *                     replica's cache at once, and refused by other replicas at most this long after. 0 turns
 *                     the cache off
 */
@ConfigurationProperties("bootswarm.tracker.stock-clients")
public record StockClientProperties(@DefaultValue("10s") Duration openCacheTtl, @DefaultValue("") String publicUrl,
                                    @DefaultValue("5s") Duration passkeyCacheTtl) {

    public StockClientProperties {
        if (openCacheTtl.isNegative()) {
            throw new IllegalArgumentException("bootswarm.tracker.stock-clients.open-cache-ttl must not be negative");
        }
        if (passkeyCacheTtl == null) {
            passkeyCacheTtl = Duration.ofSeconds(5);
        }
        if (passkeyCacheTtl.isNegative()) {
            throw new IllegalArgumentException("bootswarm.tracker.stock-clients.passkey-cache-ttl must not be negative");
        }
        publicUrl = publicUrl == null ? "" : publicUrl.strip().replaceAll("/+$", "");
    }
}
