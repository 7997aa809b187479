package io.bootswarm.common.security;

import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link JwtDecoder} that remembers the tokens its delegate accepted, by their exact text, until they
 * expire: a service called many times with one bearer token (an agent announcing, a service polling)
 * checks its signature and claims once instead of on every request (an RSA verification and a JSON
 * parse each).
 *
 * <p>What the delegate refuses is not remembered, nor is a token without an expiry. A remembered token
 * is answered only while the clock is before its {@code exp}; from then on the delegate decides again
 * (and refuses it, allowing at most its own clock skew), so no token lives longer than it would
 * without this cache. A different string (another signature, claim or key) is a different key, so
 * nothing is taken on trust that the delegate did not check. At most {@code maxEntries} tokens are
 * kept: when full, expired ones are dropped, and if that is not enough, all.
 */
public final class CachingJwtDecoder implements JwtDecoder {

    /** How many tokens a service keeps by default. */
    public static final int DEFAULT_MAX_ENTRIES = 4096;

    private final JwtDecoder delegate;
    private final InstantSource clock;
    private final int maxEntries;
    private final ConcurrentHashMap<String, Jwt> accepted = new ConcurrentHashMap<>();

    public CachingJwtDecoder(JwtDecoder delegate) {
        this(delegate, Clock.systemUTC(), DEFAULT_MAX_ENTRIES);
    }

    public CachingJwtDecoder(JwtDecoder delegate, InstantSource clock, int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive, got " + maxEntries);
        }
        this.delegate = Objects.requireNonNull(delegate);
        this.clock = Objects.requireNonNull(clock);
        this.maxEntries = maxEntries;
    }

    @Override
    public Jwt decode(String token) throws JwtException {
        Instant now = clock.instant();
        Jwt known = accepted.get(token);
        if (known != null) {
            if (now.isBefore(known.getExpiresAt())) {
                return known;
            }
            accepted.remove(token, known);
        }
        Jwt jwt = delegate.decode(token);
        if (jwt.getExpiresAt() != null && now.isBefore(jwt.getExpiresAt())) {
            if (accepted.size() >= maxEntries) {
                accepted.values().removeIf(j -> !now.isBefore(j.getExpiresAt()));
                if (accepted.size() >= maxEntries) {
                    accepted.clear();
                }
            }
            accepted.put(token, jwt);
        }
        return jwt;
    }

    /** How many tokens are remembered now. */
    int size() {
        return accepted.size();
    }
}
