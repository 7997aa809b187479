package io.bootswarm.tracker.swarm;

import io.bootswarm.tracker.net.Addresses;
import org.springframework.stereotype.Component;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Turns a peer's host into an IP address for compact peer lists (BEP 23 carries raw addresses).
 * IP literals are parsed without any lookup; names (a seed that registered by DNS name) are
 * resolved and cached for a minute, failures for ten seconds.
 */
@Component
class PeerAddresses {

    private static final Duration TTL = Duration.ofMinutes(1);
    private static final Duration NEGATIVE_TTL = Duration.ofSeconds(10);
    private static final int MAX_CACHED = 10_000;

    private record Cached(Optional<InetAddress> address, Instant until) {
    }

    private final ConcurrentMap<String, Cached> cache = new ConcurrentHashMap<>();
    private final Clock clock;

    PeerAddresses(Clock clock) {
        this.clock = clock;
    }

    Optional<InetAddress> resolve(String host) {
        Optional<InetAddress> literal = literal(host);
        if (literal.isPresent()) {
            return literal;
        }
        Instant now = clock.instant();
        Cached c = cache.get(host);
        if (c != null && c.until().isAfter(now)) {
            return c.address();
        }
        Optional<InetAddress> resolved;
        try {
            resolved = Optional.of(InetAddress.getByName(host));
        } catch (UnknownHostException | SecurityException e) {
            resolved = Optional.empty();
        }
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(host, new Cached(resolved, now.plus(resolved.isPresent() ? TTL : NEGATIVE_TTL)));
        return resolved;
    }

    /** The address an IP literal (IPv4, IPv6, bracketed IPv6) stands for, without any lookup. */
    static Optional<InetAddress> literal(String host) {
        return Addresses.literal(host);
    }
}
