package io.bootswarm.agent.manifest;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.common.manifest.ManifestSignature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys an agent accepts manifest signatures from. The operator pins them
 * ({@code bootswarm.agent.manifest-keys}); else the first seed asked for them
 * ({@code GET /api/v1/manifest-keys}) is trusted on first use and its keys are pinned in
 * {@code <data>/manifests/trusted-keys.json}, which later starts read and never fetch again (with several
 * configured seed replicas, which share one signing key, the first that answers). A
 * seed named by the tracker rather than configured ({@code bootswarm.agent.seed-url}) is an
 * unpinned source: trusted with a warning, or refused under
 * {@code bootswarm.agent.require-pinned-manifest-source}.
 */
public final class ManifestTrust {

    /** Asks a seed for its manifest keys. */
    @FunctionalInterface
    public interface KeySource {
        /**
         * The keys of the seed at {@code seedUrl}, or, when it is one of the configured seed replicas, of the
         * replica that answered.
         */
        Published fetch(String seedUrl) throws IOException;
    }

    /** The manifest keys a seed published, and which seed that was. */
    public record Published(String seedUrl, List<ManifestKey> keys) {
    }

    /** Finds the seed to ask, only when keys must be fetched. */
    @FunctionalInterface
    public interface SeedLocator {
        String seedUrl() throws IOException;
    }

    /** The file trust-on-first-use keys are pinned in, inside the manifests' directory. */
    public static final String PIN_FILE = "trusted-keys.json";

    private static final Logger log = LoggerFactory.getLogger(ManifestTrust.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path pinFile;
    private final boolean seedConfigured;
    private final boolean requirePinnedSource;
    private Map<String, PublicKey> keys;

    /**
     * @param configuredKeys      base64 X.509 public keys the operator pinned; empty for trust on first use
     * @param pinFile             where keys trusted on first use are kept
     * @param seedConfigured      whether the seed's URL is configured (so the first use asks a pinned source)
     * @param requirePinnedSource refuse to trust a seed the tracker named
     * @throws IllegalArgumentException if a configured key is not a base64 X.509 Ed25519 public key
     */
    public ManifestTrust(List<String> configuredKeys, Path pinFile, boolean seedConfigured,
                         boolean requirePinnedSource) {
        this.pinFile = pinFile;
        this.seedConfigured = seedConfigured;
        this.requirePinnedSource = requirePinnedSource;
        if (!configuredKeys.isEmpty()) {
            Map<String, PublicKey> pinned = new LinkedHashMap<>();
            for (String k : configuredKeys) {
                PublicKey key;
                try {
                    key = ManifestSignature.decodePublicKey(k);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bootswarm.agent.manifest-keys: " + e.getMessage(), e);
                }
                pinned.put(ManifestSignature.keyId(key), key);
            }
            this.keys = Map.copyOf(pinned);
            log.info("manifests are trusted when signed by a configured key: {}", keys.keySet());
        }
    }

    /**
     * The trusted keys by key id: configured, pinned before, or fetched from the seed now and pinned.
     *
     * @throws IOException if the keys cannot be had, or the seed is not a pinned source and one is required
     */
    public synchronized Map<String, PublicKey> keys(SeedLocator seed, KeySource source) throws IOException {
        if (keys != null) {
            return keys;
        }
        if (Files.exists(pinFile)) {
            keys = read(pinFile);
            log.info("manifests are trusted when signed by a key pinned in {}: {}", pinFile, keys.keySet());
            return keys;
        }
        String seedUrl = seed.seedUrl();
        if (!seedConfigured) {
            if (requirePinnedSource) {
                throw new IOException("the manifest source is not pinned: set bootswarm.agent.manifest-keys, or "
                        + "bootswarm.agent.seed-url to trust that seed's keys on first use (the tracker named seed "
                        + seedUrl + ", and bootswarm.agent.require-pinned-manifest-source is true)");
            }
            log.warn("the manifest source is not pinned: trusting the keys of seed {}, which the tracker named; "
                    + "set bootswarm.agent.manifest-keys or bootswarm.agent.seed-url", seedUrl);
        }
        Published fetched = source.fetch(seedUrl);
        Map<String, PublicKey> got = decode(fetched.keys(), "seed " + fetched.seedUrl());
        if (got.isEmpty()) {
            throw new IOException("seed " + fetched.seedUrl() + " published no manifest keys");
        }
        write(fetched.keys());
        keys = got;
        log.info("pinned the manifest keys of seed {} in {} (trust on first use): {}", fetched.seedUrl(), pinFile,
                keys.keySet());
        return keys;
    }

    private void write(List<ManifestKey> fetched) throws IOException {
        Path tmp = PrivateFiles.createTempFile(pinFile.getParent(), PIN_FILE, ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), fetched);
            Files.move(tmp, pinFile, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Map<String, PublicKey> read(Path file) throws IOException {
        try {
            return decode(List.of(JSON.readValue(file.toFile(), ManifestKey[].class)), file.toString());
        } catch (JacksonException e) {
            throw new IOException("cannot read the pinned manifest keys " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, PublicKey> decode(List<ManifestKey> published, String from) throws IOException {
        Map<String, PublicKey> out = new LinkedHashMap<>();
        for (ManifestKey k : published) {
            try {
                PublicKey key = k.toPublicKey();
                out.put(ManifestSignature.keyId(key), key);
            } catch (IllegalArgumentException e) {
                throw new IOException("bad manifest key from " + from + ": " + e.getMessage(), e);
            }
        }
        return Map.copyOf(out);
    }
}
