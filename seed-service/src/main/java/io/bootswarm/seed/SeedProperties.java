package io.bootswarm.seed;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.remote.RemoteReplicas;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code bootswarm.seed.*}: everything seed-service needs to know about itself.
 *
 * @param storageDir         where images live: {@code images/} (the catalog's files), {@code import/} (the
 *                           directory path imports read from), {@code tmp/} (imports in flight)
 * @param maxImageSize       the largest image accepted; a bigger upload is cut off with 413
 * @param pieceSize          the fleet-wide piece size (a multiple of 16 KiB)
 * @param pathImportRate     bytes per second all path imports together may read from the import directory
 *                           (0 = unlimited), so that a large import does not starve the peers served from
 *                           the same storage; uploads are paced by their sender, not by this
 * @param peerPort           peer wire port; 0 picks a free one (see {@code PeerWireServer#port()})
 * @param peerBindAddress    address the peer wire server binds to; empty for all interfaces
 * @param maxPeerConnections peer connections served at once
 * @param uploadRate         the seed's upload rate per second over all peers (0 = unlimited); demand
 *                           fetches of our agents are served before prefetches within it
 * @param uploadSlots        peers served at once (plus one optimistic; demand connections always)
 * @param advertisedHost     host name or address the tracker hands to peers and uses for the API URL;
 *                           the default {@code 127.0.0.1} suits a one-machine fleet, a real deployment
 *                           sets the seed's routable address
 * @param advertisedApiUrl   the REST base URL registered with the tracker; empty for
 *                           {@code http://<advertisedHost>:<server port>}
 * @param id                 this seed's stable id; empty to generate one once and keep it in
 *                           {@code <storageDir>/seed-id}
 * @param trackerUrl         base URL of tracker-service, or a comma-separated list of its replicas' (no load
 *                           balancer in front: calls go to one and move on to the next when it fails); empty
 *                           disables registration; a malformed URL stops the start
 * @param heartbeatInterval  how often the seed (re-)registers with the tracker
 * @param signingKeyFile     the Ed25519 private key (PKCS#8 PEM) that signs manifests; empty for
 *                           {@code <storageDir>/manifest-signing-key.pem}, made on first start if absent.
 *                           Replicas share one key through this file; a configured file must exist
 */
@ConfigurationProperties("bootswarm.seed")
public record SeedProperties(
        @DefaultValue("./data/seed") Path storageDir,
        @DefaultValue("64GB") DataSize maxImageSize,
        @DefaultValue("" + Manifest.DEFAULT_PIECE_SIZE + "B") DataSize pieceSize,
        @DefaultValue("0B") DataSize pathImportRate,
        @DefaultValue("6881") int peerPort,
        @DefaultValue("") String peerBindAddress,
        @DefaultValue("512") int maxPeerConnections,
        @DefaultValue("0B") DataSize uploadRate,
        @DefaultValue("64") int uploadSlots,
        @DefaultValue("127.0.0.1") String advertisedHost,
        @DefaultValue("") String advertisedApiUrl,
        @DefaultValue("") String id,
        @DefaultValue("") String trackerUrl,
        @DefaultValue("5s") Duration heartbeatInterval,
        @DefaultValue("") String signingKeyFile) {

    public SeedProperties {
        long piece = pieceSize.toBytes();
        if (piece <= 0 || piece > 64L * 1024 * 1024 || piece % (16 * 1024) != 0) {
            throw new IllegalArgumentException("bootswarm.seed.piece-size must be a positive multiple of 16 KiB "
                    + "up to 64 MiB, got " + pieceSize);
        }
        if (maxImageSize.toBytes() <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.max-image-size must be positive");
        }
        if (pathImportRate.toBytes() < 0) {
            throw new IllegalArgumentException("bootswarm.seed.path-import-rate must not be negative");
        }
        if (peerPort < 0 || peerPort > 65535) {
            throw new IllegalArgumentException("bootswarm.seed.peer-port must be in [0, 65535]");
        }
        if (uploadRate.toBytes() < 0 || uploadSlots <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.upload-rate must not be negative and upload-slots "
                    + "must be positive");
        }
        if (maxPeerConnections <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.max-peer-connections must be positive");
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("bootswarm.seed.heartbeat-interval must be positive");
        }
        if (trackerUrl != null && !trackerUrl.isBlank()) {
            RemoteReplicas.baseUrls(TRACKER_URL, trackerUrl);
        }
    }

    private static final String TRACKER_URL = "bootswarm.seed.tracker-url";

    /** The tracker replicas' base URLs, in the order they are tried; empty when registration is disabled. */
    public List<String> trackerUrls() {
        return registrationEnabled() ? RemoteReplicas.baseUrls(TRACKER_URL, trackerUrl) : List.of();
    }

    /** The piece size in bytes. */
    public int pieceBytes() {
        return (int) pieceSize.toBytes();
    }

    /** True when a tracker URL is configured. */
    public boolean registrationEnabled() {
        return trackerUrl != null && !trackerUrl.isBlank();
    }
}
