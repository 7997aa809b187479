package io.bootswarm.common.peertoken;

import org.jspecify.annotations.Nullable;
import io.bootswarm.common.manifest.ManifestSignature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The public keys a peer wire server accepts peer tokens from: pinned by the operator, or fetched
 * from the tracker ({@code GET /api/v1/peer-token-keys}) on first use and cached. A token naming a
 * key id not in the cache makes one fetch, at most once per {@code refetchAfter} (so a peer sending
 * made-up key ids cannot make us hammer the tracker); keys once learnt are kept (a rotated-out key
 * still verifies tokens until they expire, which is minutes).
 */
public final class PeerTokenKeyring {

    private static final Logger log = LoggerFactory.getLogger(PeerTokenKeyring.class);

    /** Fetches the tracker's published keys. */
    @FunctionalInterface
    public interface KeySource {
        List<PeerTokenKey> fetch() throws IOException;
    }

    private final @Nullable KeySource source;
    private final Clock clock;
    private final Duration refetchAfter;
    private volatile Map<String, PublicKey> keys;
    private @Nullable Instant lastFetch;

    private PeerTokenKeyring(Map<String, PublicKey> pinned, @Nullable KeySource source, Clock clock,
                             Duration refetchAfter) {
        this.keys = Map.copyOf(pinned);
        this.source = source;
        this.clock = clock;
        this.refetchAfter = refetchAfter;
    }

    /** Only these keys; nothing is fetched. */
    public static PeerTokenKeyring pinned(List<PublicKey> keys) {
        Map<String, PublicKey> m = new HashMap<>();
        keys.forEach(k -> m.put(ManifestSignature.keyId(k), k));
        return new PeerTokenKeyring(m, null, Clock.systemUTC(), Duration.ZERO);
    }

    /**
     * Pinned keys from configuration (base64 X.509); none given: fetched from {@code source}.
     *
     * @throws IllegalArgumentException if a configured key is not an Ed25519 public key
     */
    public static PeerTokenKeyring of(List<String> configured, KeySource source, Clock clock, Duration refetchAfter) {
        if (configured != null && !configured.isEmpty()) {
            return pinned(configured.stream().map(ManifestSignature::decodePublicKey).toList());
        }
        return new PeerTokenKeyring(Map.of(), source, clock, refetchAfter);
    }

    /** The key with this id: cached, or (not known yet) fetched now if the last fetch is old enough. */
    public Optional<PublicKey> find(String keyId) {
        PublicKey k = keys.get(keyId);
        if (k != null || source == null) {
            return Optional.ofNullable(k);
        }
        synchronized (this) {
            k = keys.get(keyId);
            if (k != null) {
                return Optional.of(k);
            }
            Instant now = clock.instant();
            if (lastFetch != null && now.isBefore(lastFetch.plus(refetchAfter))) {
                return Optional.empty();
            }
            lastFetch = now;
            try {
                Map<String, PublicKey> merged = new HashMap<>(keys);
                for (PeerTokenKey published : source.fetch()) {
                    PublicKey key = published.toPublicKey();
                    merged.put(ManifestSignature.keyId(key), key);
                }
                if (!merged.keySet().equals(keys.keySet())) {
                    log.info("peer token keys now trusted: {}", merged.keySet());
                }
                keys = Map.copyOf(merged);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot fetch the tracker's peer token keys: {}", e.toString());
            }
            return Optional.ofNullable(keys.get(keyId));
        }
    }

    /** Whether keys are fetched (false: pinned). */
    public boolean fetches() {
        return source != null;
    }
}
