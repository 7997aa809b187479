package io.bootswarm.tracker.stock;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Passkeys, as private BitTorrent trackers have them: a secret in the announce URL that names the
 * caller. One per caller identity (issuing again replaces it); 128 random bits as 32 lower-case hex
 * digits; only their SHA-256 is stored (table {@code passkeys}), so a leaked database gives none
 * away and the tracker cannot show one again.
 *
 * <p>Every stock announce asks for its passkey's owner, so a current passkey's owner is kept in memory
 * for {@code bootswarm.tracker.stock-clients.passkey-cache-ttl} (5 s), keyed by the passkey's hash, at
 * most {@value #MAX_CACHED} of them. Issuing (which replaces) or revoking a passkey drops its owner's
 * entries here at once; another tracker replica refuses it at most the TTL later. Unknown passkeys are not
 * cached: a new one works at once.
 */
@Service
public class Passkeys {

    /** What a passkey looks like; anything else is refused without a lookup. */
    public static final Pattern FORMAT = Pattern.compile("[0-9a-f]{32}");

    /** Most owners kept in memory. */
    static final int MAX_CACHED = 10_000;

    private record Cached(String owner, Instant until) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final Duration cacheTtl;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
    /** Moves on every issue and revoke, so that a lookup that raced one does not cache what it read. */
    private long generation;

    Passkeys(JdbcTemplate jdbc, Clock clock, StockClientProperties properties) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.cacheTtl = properties.passkeyCacheTtl();
    }

    /** A new passkey for {@code owner}, replacing the one it had. */
    public String issue(String owner) {
        byte[] key = new byte[16];
        random.nextBytes(key);
        String passkey = HexFormat.of().formatHex(key);
        jdbc.update("insert into passkeys (owner, passkey_hash, created_at) values (?, ?, ?) on conflict (owner) "
                + "do update set passkey_hash = excluded.passkey_hash, created_at = excluded.created_at",
                owner, hash(passkey), Timestamp.from(clock.instant()));
        forget(owner);
        return passkey;
    }

    /** The owner of {@code passkey}, if it is a current one. */
    public Optional<String> owner(String passkey) {
        if (passkey == null || !FORMAT.matcher(passkey).matches()) {
            return Optional.empty();
        }
        byte[] hash = hash(passkey);
        String key = HexFormat.of().formatHex(hash);
        Instant now = clock.instant();
        Cached c = cache.get(key);
        if (c != null && now.isBefore(c.until())) {
            return Optional.of(c.owner());
        }
        long before;
        synchronized (this) {
            before = generation;
        }
        List<String> owners = jdbc.queryForList("select owner from passkeys where passkey_hash = ?", String.class,
                (Object) hash);
        Optional<String> owner = owners.stream().findFirst();
        if (owner.isPresent() && cacheTtl.isPositive()) {
            remember(key, new Cached(owner.get(), now.plus(cacheTtl)), before, now);
        }
        return owner;
    }

    /** Revokes {@code owner}'s passkey; false if it had none. */
    public boolean revoke(String owner) {
        boolean revoked = jdbc.update("delete from passkeys where owner = ?", owner) == 1;
        forget(owner);
        return revoked;
    }

    /** Caches an owner read in generation {@code read}, unless an issue or revoke came in between. */
    private synchronized void remember(String key, Cached owner, long read, Instant now) {
        if (generation != read) {
            return;
        }
        if (cache.size() >= MAX_CACHED) {
            cache.values().removeIf(c -> !now.isBefore(c.until()));
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
        }
        cache.put(key, owner);
    }

    /** Drops {@code owner}'s cached passkeys (after its row changed). */
    private synchronized void forget(String owner) {
        generation++;
        cache.values().removeIf(c -> c.owner().equals(owner));
    }

    /** How many owners are cached now. */
    int cached() {
        return cache.size();
    }

    private static byte[] hash(String passkey) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(passkey.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
