package io.bootswarm.tracker.stock;

import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The passkey owners kept in memory: each change in this process is seen at once, other changes within the TTL. */
class PasskeysTest {

    /** The {@code passkeys} table in maps (owner → SHA-256 and back), counting the owner lookups. */
    static final class Table extends JdbcTemplate {
        private final Map<String, String> byOwner = new ConcurrentHashMap<>();
        private final Map<String, String> byHash = new ConcurrentHashMap<>();
        final AtomicInteger lookups = new AtomicInteger();

        synchronized void put(String owner, String hash) {
            remove(owner);
            byOwner.put(owner, hash);
            byHash.put(hash, owner);
        }

        synchronized boolean remove(String owner) {
            String hash = byOwner.remove(owner);
            if (hash != null) {
                byHash.remove(hash);
            }
            return hash != null;
        }

        @Override
        public int update(String sql, Object... args) {
            if (sql.startsWith("insert")) {
                put((String) args[0], HexFormat.of().formatHex((byte[]) args[1]));
                return 1;
            }
            if (sql.startsWith("delete")) {
                return remove((String) args[0]) ? 1 : 0;
            }
            throw new UnsupportedOperationException(sql);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> List<T> queryForList(String sql, Class<T> elementType, Object... args) {
            lookups.incrementAndGet();
            String owner = byHash.get(HexFormat.of().formatHex((byte[]) args[0]));
            return (List<T>) (owner == null ? List.of() : List.of(owner));
        }
    }

    final ManualClock clock = new ManualClock();
    final Table table = new Table();
    final Passkeys passkeys = new Passkeys(table, clock, new StockClientProperties(Duration.ofSeconds(10), "",
            Duration.ofSeconds(5)));

    @Test
    void aCurrentPasskeysOwnerIsReadOnceWithinTheTtl() {
        String key = passkeys.issue("alice");
        assertThat(passkeys.owner(key)).contains("alice");
        assertThat(passkeys.owner(key)).contains("alice");
        clock.advance(Duration.ofMillis(4999));
        assertThat(passkeys.owner(key)).contains("alice");
        assertThat(table.lookups).hasValue(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(passkeys.owner(key)).contains("alice");
        assertThat(table.lookups).as("read again once the TTL is over").hasValue(2);
    }

    @Test
    void revokingDropsTheCachedOwnerAtOnce() {
        String key = passkeys.issue("alice");
        String bobs = passkeys.issue("bob");
        assertThat(passkeys.owner(key)).contains("alice");
        assertThat(passkeys.owner(bobs)).contains("bob");

        assertThat(passkeys.revoke("alice")).isTrue();
        assertThat(passkeys.owner(key)).isEmpty();
        assertThat(passkeys.owner(bobs)).as("others' stay cached").contains("bob");
        assertThat(table.lookups).hasValue(3);
    }

    @Test
    void issuingAgainDropsTheReplacedPasskeyAtOnce() {
        String old = passkeys.issue("alice");
        assertThat(passkeys.owner(old)).contains("alice");
        String replacement = passkeys.issue("alice");
        assertThat(passkeys.owner(old)).isEmpty();
        assertThat(passkeys.owner(replacement)).contains("alice");
    }

    @Test
    void aChangeByAnotherReplicaIsSeenWhenTheTtlEnds() {
        String key = passkeys.issue("alice");
        assertThat(passkeys.owner(key)).contains("alice");
        table.remove("alice"); // revoked through another tracker replica
        assertThat(passkeys.owner(key)).contains("alice");
        clock.advance(Duration.ofSeconds(5));
        assertThat(passkeys.owner(key)).isEmpty();
    }

    @Test
    void unknownPasskeysAreNotCachedSoANewOneWorksAtOnce() {
        String key = "0123456789abcdef0123456789abcdef";
        assertThat(passkeys.owner(key)).isEmpty();
        table.put("carol", HexFormat.of().formatHex(sha256(key))); // issued by another replica
        assertThat(passkeys.owner(key)).contains("carol");
        assertThat(passkeys.owner("not-a-passkey")).isEmpty();
    }

    @Test
    void withATtlOfZeroEveryAnnounceReadsTheTable() {
        Passkeys uncached = new Passkeys(table, clock, new StockClientProperties(Duration.ofSeconds(10), "",
                Duration.ZERO));
        String key = uncached.issue("alice");
        uncached.owner(key);
        uncached.owner(key);
        assertThat(table.lookups).hasValue(2);
    }

    @Test
    void theCacheIsBounded() {
        for (int i = 0; i < Passkeys.MAX_CACHED + 10; i++) {
            String key = "%032x".formatted(i);
            table.put("user-" + i, HexFormat.of().formatHex(sha256(key)));
            assertThat(passkeys.owner(key)).contains("user-" + i);
            assertThat(passkeys.cached()).isLessThanOrEqualTo(Passkeys.MAX_CACHED);
        }
        assertThat(passkeys.owner("%032x".formatted(0))).contains("user-0");
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
