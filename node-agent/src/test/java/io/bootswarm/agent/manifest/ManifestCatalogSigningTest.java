package io.bootswarm.agent.manifest;

import io.bootswarm.agent.tracker.TrackerClient;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.testing.ManualClock;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.agent.files.TestGroups.assertMode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent takes a manifest only if it is signed by a key it trusts, both from the seed and from
 * its own cache: against a stub seed that signs with a key of our choosing.
 */
class ManifestCatalogSigningTest {

    private static final int PIECE = Manifest.DEFAULT_PIECE_SIZE;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    private Path dir;
    private SigningSeed seed;
    private Manifest a;
    private Manifest b;
    private SimpleMeterRegistry meters;

    @BeforeEach
    void seedWithTwoImages() throws Exception {
        dir = tmp.resolve("manifests");
        a = manifest(1, "image-a");
        b = manifest(2, "image-b");
        seed = new SigningSeed().serve(a).serve(b);
    }

    @AfterEach
    void stopSeed() {
        seed.close();
    }

    private static Manifest manifest(int seed, String name) throws IOException {
        byte[] image = new byte[3 * PIECE + 17];
        new Random(seed).nextBytes(image);
        return new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), name);
    }

    /** A catalog as a (re)started agent makes it, on the same manifests directory. */
    private ManifestCatalog catalog(String seedUrl, List<String> manifestKeys, boolean requirePinned) throws IOException {
        meters = new SimpleMeterRegistry();
        RetryRegistry retries = RetryRegistry.ofDefaults();
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        TimeLimiterRegistry limiters = TimeLimiterRegistry.ofDefaults();
        TrackerClient tracker = new TrackerClient(RestClient.builder().baseUrl(seed.url()).build(), seed.url(),
                RemoteCall.of("tracker", retries, breakers, limiters), "127.0.0.1");
        ManifestTrust trust = new ManifestTrust(manifestKeys, dir.resolve(ManifestTrust.PIN_FILE), !seedUrl.isEmpty(),
                requirePinned);
        RemoteReplicas seeds = seedUrl.isEmpty() ? null : RemoteReplicas.of("seed", List.of(seedUrl),
                RestClient.builder(), retries, breakers, limiters, meters);
        return new ManifestCatalog(dir, RestClient.builder(), seeds, tracker,
                RemoteCall.of("seed", retries, breakers, limiters), trust, meters, new ManualClock());
    }

    private ManifestCatalog pinnedCatalog() throws IOException {
        return catalog(seed.url(), List.of(seed.publicKey()), false);
    }

    private double rejected(String source) {
        return meters.get("bootswarm.agent.manifest.rejected").tag("source", source).counter().count();
    }

    @Test
    void aGenuineManifestIsAcceptedAndCachedWithItsSignatureAndLoadsWithoutTheSeed() throws Exception {
        try (ManifestCatalog catalog = pinnedCatalog()) {
            assertThat(catalog.get(a.imageId()).hash(1)).isEqualTo(a.hash(1));
        }
        assertMode(dir.resolve(a.imageId() + ".json"), "rw-------");
        assertMode(dir.resolve(a.imageId() + ".sig"), "rw-------");
        seed.close();

        try (ManifestCatalog restarted = pinnedCatalog()) {
            assertThat(restarted.get(a.imageId()).toDocument().pieceHashes()).isEqualTo(a.toDocument().pieceHashes());
            assertThat(rejected("cache")).isZero();
        }
        assertThat(seed.manifestRequests()).isEqualTo(1);
    }

    @Test
    void aManifestSignedByAKeyTheAgentDoesNotTrustIsRefusedAndNotCached() throws Exception {
        KeyPair rogue = ManifestSignature.generateKeyPair();
        seed.signWith(rogue);

        try (ManifestCatalog catalog = pinnedCatalog()) {
            assertThatThrownBy(() -> catalog.get(a.imageId())).isInstanceOf(IOException.class)
                    .hasMessage("manifest of " + a.imageId() + " from " + seed.url()
                            + " is not signed by a trusted key (key id " + ManifestSignature.keyId(rogue.getPublic()) + ")");
            assertThat(rejected("seed")).isEqualTo(1);
        }
        assertThat(dir.resolve(a.imageId() + ".json")).doesNotExist();
        assertThat(dir.resolve(a.imageId() + ".sig")).doesNotExist();
    }

    @Test
    void aTamperedCachedManifestIsRefusedDeletedAndFetchedAgain() throws Exception {
        try (ManifestCatalog catalog = pinnedCatalog()) {
            catalog.get(a.imageId());
        }
        Path cached = dir.resolve(a.imageId() + ".json");
        ObjectNode doc = (ObjectNode) JSON.readTree(cached.toFile());
        byte[] hashes = Base64.getDecoder().decode(doc.get("pieceHashes").asString());
        hashes[PieceHash.BYTES] ^= 1;
        doc.put("pieceHashes", Base64.getEncoder().encodeToString(hashes));
        JSON.writeValue(cached.toFile(), doc);

        try (ManifestCatalog restarted = pinnedCatalog()) {
            Manifest m = restarted.get(a.imageId());

            assertThat(m.hash(1)).isEqualTo(a.hash(1));
            assertThat(rejected("cache")).isEqualTo(1);
        }
        assertThat(seed.manifestRequests()).isEqualTo(2);
        byte[] again = Base64.getDecoder().decode(JSON.readTree(cached.toFile()).get("pieceHashes").asString());
        assertThat(again).isEqualTo(a.toDocument().pieceHashes());
    }

    @Test
    void aPinnedSeedsKeysAreTrustedOnFirstUseAndALaterKeyChangeAtTheSeedIsRefused() throws Exception {
        try (ManifestCatalog catalog = catalog(seed.url(), List.of(), false)) {
            assertThat(catalog.get(a.imageId()).hash(0)).isEqualTo(a.hash(0));
        }
        Path pins = dir.resolve(ManifestTrust.PIN_FILE);
        assertMode(pins, "rw-------");
        assertThat(JSON.readTree(pins.toFile()).get(0).get("keyId").asString())
                .isEqualTo(ManifestSignature.keyId(seed.keys().getPublic()));
        KeyPair replaced = ManifestSignature.generateKeyPair();
        seed.rotateTo(replaced);

        try (ManifestCatalog restarted = catalog(seed.url(), List.of(), false)) {
            assertThat(restarted.get(a.imageId()).hash(0)).isEqualTo(a.hash(0));
            assertThatThrownBy(() -> restarted.get(b.imageId())).isInstanceOf(IOException.class)
                    .hasMessageContaining("is not signed by a trusted key (key id "
                            + ManifestSignature.keyId(replaced.getPublic()) + ")");
        }
        assertThat(seed.keyRequests()).isEqualTo(1);
    }

    @Test
    void aSeedTheTrackerNamedIsTrustedOnFirstUseUnlessAPinnedSourceIsRequired() throws Exception {
        try (ManifestCatalog strict = catalog("", List.of(), true)) {
            assertThatThrownBy(() -> strict.get(a.imageId())).isInstanceOf(IOException.class)
                    .hasMessageContaining("the manifest source is not pinned");
        }
        assertThat(seed.keyRequests()).isZero();
        assertThat(dir.resolve(ManifestTrust.PIN_FILE)).doesNotExist();

        try (ManifestCatalog lenient = catalog("", List.of(), false)) {
            assertThat(lenient.get(a.imageId()).hash(2)).isEqualTo(a.hash(2));
        }
        assertThat(seed.keyRequests()).isEqualTo(1);
        assertThat(dir.resolve(ManifestTrust.PIN_FILE)).exists();
    }
}
