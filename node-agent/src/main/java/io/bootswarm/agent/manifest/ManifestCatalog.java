package io.bootswarm.agent.manifest;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.agent.tracker.TrackerClient;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Manifests of the images this host runs: from memory, else from the copy kept on local disk
 * (so a restarted agent needs no seed to reopen its disks), else from seed-service
 * ({@code GET /api/v1/images/{id}/manifest}, a {@link RemoteCall} through the resilience4j instances
 * named {@code seed}). The seed's address is configured, or else asked of the tracker.
 */
public final class ManifestCatalog implements AutoCloseable {

    /** The seed does not know the image. */
    public static final class UnknownImageException extends IOException {
        public UnknownImageException(UUID imageId) {
            super("no image " + imageId + " in the catalog");
        }
    }

    private final Path directory;
    private final RestClient.Builder http;
    private final String configuredSeedUrl;
    private final TrackerClient tracker;
    private final RemoteCall seed;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<UUID, Manifest> cache = new ConcurrentHashMap<>();
    private final Map<UUID, CachedGroups> groups = new ConcurrentHashMap<>();

    /** @param seed the resilience4j instances calls to the seed go through; closed with this catalog */
    public ManifestCatalog(Path directory, RestClient.Builder http, String configuredSeedUrl, TrackerClient tracker,
                           RemoteCall seed) throws IOException {
        this.directory = PrivateFiles.createDirectories(directory);
        this.http = http;
        this.configuredSeedUrl = configuredSeedUrl;
        this.tracker = tracker;
        this.seed = seed;
    }

    public Manifest get(UUID imageId) throws IOException {
        Manifest m = cache.get(imageId);
        if (m != null) {
            return m;
        }
        Path file = directory.resolve(imageId + ".json");
        ManifestDocument doc;
        if (Files.exists(file)) {
            doc = json.readValue(file.toFile(), ManifestDocument.class);
        } else {
            doc = fetch(imageId);
            Path tmp = PrivateFiles.createTempFile(directory, imageId.toString(), ".tmp");
            json.writeValue(tmp.toFile(), doc);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            m = doc.toManifest();
        } catch (IllegalArgumentException e) {
            Files.deleteIfExists(file);
            throw new IOException("manifest of image " + imageId + " is inconsistent: " + e.getMessage(), e);
        }
        if (!m.imageId().equals(imageId)) {
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
        String seedUrl = seedUrl();
        RestClient client = http.baseUrl(seedUrl).build();
        ImageRef[] found = seed.call(seedUrl, () -> client.get().uri("/api/v1/images?swarmId={s}", swarmId.hex())
                .retrieve().body(ImageRef[].class));
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
        if (c != null && System.nanoTime() - c.fetchedAt() < maxAge.toNanos()) {
            return c.byPiece();
        }
        String seedUrl = seedUrl();
        RestClient client = http.baseUrl(seedUrl).build();
        GroupsRef doc = seed.call(seedUrl, () -> client.get().uri("/api/v1/images/{id}/groups", imageId).retrieve()
                .body(GroupsRef.class));
        if (doc == null || doc.groups() == null || doc.pieceGroups() == null) {
            throw new IOException("seed " + seedUrl + " sent no piece groups for " + imageId);
        }
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(doc.pieceGroups()));
        String[] byPiece = new String[b.remaining() / 4];
        for (int i = 0; i < byPiece.length; i++) {
            int g = b.getInt();
            byPiece[i] = g < 0 || g >= doc.groups().size() ? null : doc.groups().get(g).groupId();
        }
        groups.put(imageId, new CachedGroups(byPiece, System.nanoTime()));
        return byPiece;
    }

    private record CachedGroups(String[] byPiece, long fetchedAt) {
    }

    private ManifestDocument fetch(UUID imageId) throws IOException {
        String seedUrl = seedUrl();
        RestClient client = http.baseUrl(seedUrl).build();
        ManifestDocument doc;
        try {
            doc = seed.call(seedUrl, () -> client.get().uri("/api/v1/images/{id}/manifest", imageId).retrieve()
                    .body(ManifestDocument.class));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                throw new UnknownImageException(imageId);
            }
            throw e;
        }
        if (doc == null) {
            throw new IOException("seed " + seedUrl + " sent an empty manifest for " + imageId);
        }
        return doc;
    }

    private String seedUrl() throws IOException {
        if (!configuredSeedUrl.isEmpty()) {
            return configuredSeedUrl;
        }
        return tracker.seeds().stream().map(TrackerClient.SeedInfo::apiUrl).filter(u -> u != null && !u.isBlank())
                .findFirst().orElseThrow(() -> new IOException("the tracker knows no live seed"));
    }

    @Override
    public void close() {
        seed.close();
    }
}
