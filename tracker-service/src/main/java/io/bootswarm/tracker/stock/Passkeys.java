package io.bootswarm.tracker.stock;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Passkeys, as private BitTorrent trackers have them: a secret in the announce URL that names the
 * caller. One per caller identity (issuing again replaces it); 128 random bits as 32 lower-case hex
 * digits; only their SHA-256 is stored (table {@code passkeys}), so a leaked database gives none
 * away and the tracker cannot show one again.
 */
@Service
public class Passkeys {

    /** What a passkey looks like; anything else is refused without a lookup. */
    public static final Pattern FORMAT = Pattern.compile("[0-9a-f]{32}");

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    Passkeys(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A new passkey for {@code owner}, replacing the one it had. */
    public String issue(String owner) {
        byte[] key = new byte[16];
        random.nextBytes(key);
        String passkey = HexFormat.of().formatHex(key);
        jdbc.update("insert into passkeys (owner, passkey_hash, created_at) values (?, ?, ?) on conflict (owner) "
                + "do update set passkey_hash = excluded.passkey_hash, created_at = excluded.created_at",
                owner, hash(passkey), Timestamp.from(clock.instant()));
        return passkey;
    }

    /** The owner of {@code passkey}, if it is a current one. */
    public Optional<String> owner(String passkey) {
        if (passkey == null || !FORMAT.matcher(passkey).matches()) {
            return Optional.empty();
        }
        List<String> owners = jdbc.queryForList("select owner from passkeys where passkey_hash = ?", String.class,
                (Object) hash(passkey));
        return owners.stream().findFirst();
    }

    /** Revokes {@code owner}'s passkey; false if it had none. */
    public boolean revoke(String owner) {
        return jdbc.update("delete from passkeys where owner = ?", owner) == 1;
    }

    private static byte[] hash(String passkey) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(passkey.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
