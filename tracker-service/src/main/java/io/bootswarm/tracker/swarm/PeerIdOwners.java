package io.bootswarm.tracker.swarm;

import io.bootswarm.common.web.ProblemException;
import io.bootswarm.tracker.TrackerProperties;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which client announces under which peer id: the first authenticated caller that announces a peer
 * id holds it until it has not announced for {@link TrackerProperties#peerExpiry()}; another caller
 * that announces under it is refused (403), so no agent can overwrite another's swarm entries.
 */
@Component
class PeerIdOwners {

    private record Owner(String subject, Instant lastSeen) {
    }

    private final ConcurrentHashMap<String, Owner> owners = new ConcurrentHashMap<>();
    private final AtomicLong claims = new AtomicLong();
    private final Clock clock;
    private final TrackerProperties properties;

    PeerIdOwners(Clock clock, TrackerProperties properties) {
        this.clock = clock;
        this.properties = properties;
    }

    /** Records {@code subject} as the holder of {@code peerId}, or refuses when another holds it. */
    void claim(String peerId, String subject) {
        Instant now = clock.instant();
        Instant stale = now.minus(properties.peerExpiry());
        Owner held = owners.compute(peerId, (id, current) ->
                current == null || current.subject().equals(subject) || current.lastSeen().isBefore(stale)
                        ? new Owner(subject, now) : current);
        if (!held.subject().equals(subject)) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "peer-id-taken", "Forbidden",
                    "peer id " + peerId + " is announced by another client");
        }
        if (claims.incrementAndGet() % 4096 == 0) {
            owners.values().removeIf(o -> o.lastSeen().isBefore(stale));
        }
    }
}
