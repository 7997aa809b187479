package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.ServedSwarm;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's swarms: one {@link SwarmSession} per image, shared by every disk of that image on
 * the host (a piece is fetched once per host), all over one {@link PieceStore}; and the peer wire
 * server through which this host serves what it holds to other peers.
 */
public final class SwarmManager implements AutoCloseable {

    private final PieceStore store;
    private final Announcer announcer;
    private final SwarmSettings settings;
    private final MeterRegistry meters;
    private final byte[] peerId = newPeerId();
    private final Map<UUID, SwarmSession> byImage = new ConcurrentHashMap<>();
    private final Map<SwarmId, SwarmSession> bySwarm = new ConcurrentHashMap<>();
    private final PeerWireServer server;
    private final RateLimiter download;

    public SwarmManager(PieceStore store, Announcer announcer, SwarmSettings settings, InetSocketAddress peerBind,
                        MeterRegistry meters) throws IOException {
        this.store = store;
        this.announcer = announcer;
        this.settings = settings;
        this.meters = meters;
        this.download = RateLimiter.perSecond(settings.downloadRate().toBytes());
        this.server = new PeerWireServer(PeerWireServer.Settings.defaults(peerBind).withUpload(settings.uploadSlots(),
                RateLimiter.perSecond(settings.uploadRate().toBytes())),
                id -> Optional.<ServedSwarm>ofNullable(bySwarm.get(id)), peerId);
        server.onPeerSeen((swarm, host, port) -> {
            SwarmSession s = bySwarm.get(swarm);
            if (s != null) {
                s.peerSeen(new Peer(host, port, false));
            }
        });
    }

    /** BEP 20 style peer id: {@code -BS0100-} and 12 random bytes. */
    private static byte[] newPeerId() {
        byte[] id = new byte[20];
        new SecureRandom().nextBytes(id);
        System.arraycopy("-BS0100-".getBytes(StandardCharsets.US_ASCII), 0, id, 0, 8);
        return id;
    }

    public int peerPort() {
        return server.port();
    }

    /** Bytes this host has uploaded to peers since start, all swarms together. */
    public long bytesUploaded() {
        return server.bytesServed();
    }

    public PieceStore store() {
        return store;
    }

    /** The session of {@code manifest}'s image, joining its swarm on first use. */
    public SwarmSession session(Manifest manifest) {
        return byImage.computeIfAbsent(manifest.imageId(), id -> {
            SwarmSession s = new SwarmSession(manifest, store, announcer, settings, peerId, server.port(), download,
                    piece -> server.announce(manifest.swarmId(), piece), meters);
            bySwarm.put(manifest.swarmId(), s);
            return s;
        });
    }

    public Optional<SwarmSession> find(UUID imageId) {
        return Optional.ofNullable(byImage.get(imageId));
    }

    @Override
    public void close() throws IOException {
        server.close();
        byImage.values().forEach(SwarmSession::close);
        store.close();
    }
}
