package io.bootswarm.agent.manifest;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.agent.tracker.TrackerClient;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.common.time.MonotonicClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Manifests of the images this host runs: from memory, else from the copy kept on local disk
 * (so a restarted agent needs no seed to reopen its disks), else from seed-service
 * ({@code GET /api/v1/images/{id}/manifest}, through the resilience4j instances named {@code seed}).
 * The seeds' addresses are configured ({@code bootswarm.agent.seed-url}, one or several replicas, called
 * through {@link RemoteReplicas}: a seed that fails sends the call on to the next, which calls stay with),
 * or else the seed to ask is the tracker's first live one, called through a {@link RemoteCall}.
 * A manifest is used only if it is signed by a key of {@link ManifestTrust}: one from the seed is
 * checked before it is cached, and the signature kept beside it ({@code <image>.sig}); a cached one
 * on every load, and one whose signature fails is deleted and fetched again
 * ({@code bootswarm.agent.manifest.rejected}, tagged by source).
 */
public final class ManifestCatalog implements AutoCloseable {

    /** The seed does not know the image. */
    private static final Logger log = LoggerFactory.getLogger(ManifestCatalog.class);

    public static final class UnknownImageException extends IOException {
        public UnknownImageException(UUID imageId) {
            super("no image " + imageId + " in the catalog");
        }
    }

    private final Path directory;
    private final RestClient.Builder http;
    private final @Nullable RemoteReplicas configuredSeeds;
    private final TrackerClient tracker;
    private final RemoteCall trackerNamedSeed;
    private final ManifestTrust trust;
    private final Counter rejectedFromSeed;
    private final Counter rejectedFromCache;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<UUID, Manifest> cache = new ConcurrentHashMap<>();
    private final Map<UUID, CachedGroups> groups = new ConcurrentHashMap<>();
    private final InstantSource clock;

    /**
     * @param http             the client the seeds the tracker names are called with
     * @param configuredSeeds  the configured seed replicas, or null to ask the tracker for a seed; closed with
     *                         this catalog
     * @param trackerNamedSeed the resilience4j instances calls to a seed the tracker named go through; closed
     *                         with this catalog
     * @param trust            the keys manifests must be signed by
     * @param clock            what the piece groups' cache age is measured on
     */
    public ManifestCatalog(Path directory, RestClient.Builder http, @Nullable RemoteReplicas configuredSeeds,
                           TrackerClient tracker, RemoteCall trackerNamedSeed, ManifestTrust trust,
                           MeterRegistry meters, InstantSource clock) throws IOException {
        this.directory = PrivateFiles.createDirectories(directory);
        this.http = http;
        this.configuredSeeds = configuredSeeds;
        this.tracker = tracker;
        this.trackerNamedSeed = trackerNamedSeed;
        this.trust = trust;
        this.clock = clock;
        this.rejectedFromSeed = rejected(meters, "seed");
        this.rejectedFromCache = rejected(meters, "cache");
    }

    /**
     * A catalog of the manifests cached in {@code directory} only, verified as always, for reopening
     * disks before the agent's remote clients exist: a manifest not cached there (or keys not
     * configured or pinned) is an {@link IOException}.
     */
    public static ManifestCatalog localOnly(Path directory, ManifestTrust trust, MeterRegistry meters)
            throws IOException {
        return new ManifestCatalog(directory, null, null, null, null, trust, meters, MonotonicClock.system());
    }

    private static Counter rejected(MeterRegistry meters, String source) {
        return Counter.builder("bootswarm.agent.manifest.rejected").tag("source", source)
                .description("manifests refused because they were not signed by a trusted key").register(meters);
    }

    /** A manifest's signature as kept beside it on disk. */
    record CachedSignature(String keyId, String signature) {
    }

    private record Signed(ManifestDocument doc, String keyId, String signature) {
    }

    /** What a seed answered, and which seed that was. */
    private record Answer<T>(T value, String seedUrl) {
    }

    public Manifest get(UUID imageId) throws IOException {
        Manifest m = cache.get(imageId);
        if (m != null) {
            return m;
        }
        Path file = directory.resolve(imageId + ".json");
        Path sigFile = directory.resolve(imageId + ".sig");
        ManifestDocument doc = Files.exists(file) ? cached(imageId, file, sigFile) : null;
        if (doc == null && http == null) {
            throw new IOException("the manifest of " + imageId + " is not cached in " + directory);
        }
        if (doc == null) {
            Answer<Signed> fetched = fetch(imageId);
            Signed signed = fetched.value();
            if (!verified(signed, trust.keys(fetched::seedUrl, this::fetchKeys))) {
                rejectedFromSeed.increment();
                throw new IOException("manifest of " + imageId + " from " + fetched.seedUrl()
                        + " is not signed by a trusted key (key id " + signed.keyId() + ")");
            }
            doc = signed.doc();
            writeAtomically(sigFile, new CachedSignature(signed.keyId(), signed.signature()));
            writeAtomically(file, doc);
        }
        try {
            m = doc.toManifest();
        } catch (IllegalArgumentException e) {
            Files.deleteIfExists(file);
            throw new IOException("manifest of image " + imageId + " is inconsistent: " + e.getMessage(), e);
        }
        if (!m.imageId().equals(imageId)) {
            Files.deleteIfExists(file);
            Files.deleteIfExists(sigFile);
            throw new IOException("asked for the manifest of " + imageId + ", got " + m.imageId());
        }
        cache.put(imageId, m);
        return m;
    }

    /** The image view fields this catalog reads. */
    record ImageRef(UUID id, String swarmId) {
    }

    /**
     * The manifest of the image whose swarm is {@code swarmId} (a peer of another image asking us
     * for shared pieces), or empty if the catalog has no such image.
     */
    public Optional<Manifest> bySwarm(SwarmId swarmId) throws IOException {
        for (Manifest m : cache.values()) {
            if (m.swarmId().equals(swarmId)) {
                return Optional.of(m);
            }
        }
        ImageRef[] found = ask(false, client -> client.get().uri("/api/v1/images?swarmId={s}", swarmId.hex())
                .retrieve().body(ImageRef[].class)).value();
        if (found == null || found.length == 0 || !swarmId.hex().equalsIgnoreCase(found[0].swarmId())) {
            return Optional.empty();
        }
        return Optional.of(get(found[0].id()));
    }

    /** Group fields read from the seed's groups document. */
    record GroupRef(String groupId) {
    }

    record GroupsRef(UUID imageId, String version, int pieceCount, List<GroupRef> groups, String pieceGroups) {
    }

    /**
     * The piece groups of an image (seed-service's {@code GET /api/v1/images/{id}/groups}): the id of
     * the group of each piece, null for all-zero pieces. Cached for {@code maxAge}.
     */
    public String[] groups(UUID imageId, Duration maxAge) throws IOException {
        CachedGroups c = groups.get(imageId);
        if (c != null && c.fetchedAt().plus(maxAge).isAfter(clock.instant())) {
            return c.byPiece();
        }
        Answer<GroupsRef> answer = ask(false, client -> client.get().uri("/api/v1/images/{id}/groups", imageId)
                .retrieve().body(GroupsRef.class));
        GroupsRef doc = answer.value();
        if (doc == null || doc.groups() == null || doc.pieceGroups() == null) {
            throw new IOException("seed " + answer.seedUrl() + " sent no piece groups for " + imageId);
        }
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(doc.pieceGroups()));
        String[] byPiece = new String[b.remaining() / 4];
        for (int i = 0; i < byPiece.length; i++) {
            int g = b.getInt();
            byPiece[i] = g < 0 || g >= doc.groups().size() ? null : doc.groups().get(g).groupId();
        }
        groups.put(imageId, new CachedGroups(byPiece, clock.instant()));
        return byPiece;
    }

    private record CachedGroups(String[] byPiece, Instant fetchedAt) {
    }

    /**
     * The cached document if its signature verifies against a trusted key; else null, the copy
     * deleted. Pinned keys make this work without the seed.
     */
    private ManifestDocument cached(UUID imageId, Path file, Path sigFile) throws IOException {
        Signed signed;
        try {
            CachedSignature sig = Files.exists(sigFile) ? json.readValue(sigFile.toFile(), CachedSignature.class)
                    : new CachedSignature(null, null);
            signed = new Signed(json.readValue(file.toFile(), ManifestDocument.class), sig.keyId(), sig.signature());
        } catch (JacksonException e) {
            signed = null;
        }
        if (signed != null && verified(signed, trust.keys(this::keySeedUrl, this::fetchKeys))) {
            return signed.doc();
        }
        rejectedFromCache.increment();
        log.warn("the cached manifest of {} is not signed by a trusted key (key id {}); fetching it again", imageId,
                signed == null ? null : signed.keyId());
        Files.deleteIfExists(file);
        Files.deleteIfExists(sigFile);
        return null;
    }

    private static boolean verified(Signed s, Map<String, PublicKey> trusted) {
        if (s.signature() == null || s.keyId() == null) {
            return false;
        }
        PublicKey key = trusted.get(s.keyId());
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(s.signature().strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return key != null && ManifestSignature.verify(s.doc(), signature, key);
    }

    private void writeAtomically(Path file, Object value) throws IOException {
        Path tmp = PrivateFiles.createTempFile(directory, file.getFileName().toString(), ".tmp");
        try {
            json.writeValue(tmp.toFile(), value);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Answer<Signed> fetch(UUID imageId) throws IOException {
        Answer<ResponseEntity<ManifestDocument>> answer;
        try {
            answer = ask(true, client -> client.get().uri("/api/v1/images/{id}/manifest", imageId).retrieve()
                    .toEntity(ManifestDocument.class));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                throw new UnknownImageException(imageId);
            }
            throw e;
        }
        ResponseEntity<ManifestDocument> response = answer.value();
        if (response == null || response.getBody() == null) {
            throw new IOException("seed " + answer.seedUrl() + " sent an empty manifest for " + imageId);
        }
        return new Answer<>(new Signed(response.getBody(), response.getHeaders().getFirst(ManifestSignature.KEY_HEADER),
                response.getHeaders().getFirst(ManifestSignature.SIGNATURE_HEADER)), answer.seedUrl());
    }

    /**
     * The keys of the seed at {@code seedUrl}, as {@link #keySeedUrl()} named it: with configured seeds, of
     * whichever replica answers, from the current one on.
     */
    private ManifestTrust.Published fetchKeys(String seedUrl) throws IOException {
        Answer<ManifestKey[]> answer;
        if (configuredSeeds == null) {
            RestClient client = http.baseUrl(seedUrl).build();
            answer = new Answer<>(trackerNamedSeed.call(seedUrl, () -> keys(client)), seedUrl);
        } else {
            answer = ask(true, ManifestCatalog::keys);
        }
        if (answer.value() == null) {
            throw new IOException("seed " + answer.seedUrl() + " sent no manifest keys");
        }
        return new ManifestTrust.Published(answer.seedUrl(), List.of(answer.value()));
    }

    private static ManifestKey[] keys(RestClient seed) {
        return seed.get().uri("/api/v1/manifest-keys").retrieve().body(ManifestKey[].class);
    }

    /** The seed the trust's keys would be asked of: the current configured replica, or the tracker's seed. */
    private String keySeedUrl() throws IOException {
        return configuredSeeds != null ? configuredSeeds.current() : trackerNamedSeedUrl(true);
    }

    /**
     * Sends {@code request} to the configured seeds (from the current replica on, while they fail), or else to the
     * seed the tracker names; a launch ({@code forLaunch}) waits out the tracker's open circuit breaker for it.
     */
    private <T> Answer<T> ask(boolean forLaunch, RemoteReplicas.Request<T> request) throws IOException {
        if (http == null) {
            throw new IOException("no seed to ask: this catalog reads only " + directory);
        }
        if (configuredSeeds != null) {
            T value = configuredSeeds.call(request);
            return new Answer<>(value, configuredSeeds.current());
        }
        String seedUrl = trackerNamedSeedUrl(forLaunch);
        RestClient client = http.baseUrl(seedUrl).build();
        return new Answer<>(trackerNamedSeed.call(seedUrl, () -> request.send(client)), seedUrl);
    }

    private String trackerNamedSeedUrl(boolean forLaunch) throws IOException {
        if (http == null) {
            throw new IOException("no seed to ask: this catalog reads only " + directory);
        }
        return (forLaunch ? tracker.seedsForLaunch() : tracker.seeds()).stream().map(TrackerClient.SeedInfo::apiUrl)
                .filter(u -> u != null && !u.isBlank()).findFirst()
                .orElseThrow(() -> new IOException("the tracker knows no live seed"));
    }

    @Override
    public void close() {
        if (configuredSeeds != null) {
            configuredSeeds.close();
        }
        if (trackerNamedSeed != null) {
            trackerNamedSeed.close();
        }
    }
}
