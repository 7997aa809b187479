package io.bootswarm.seed.serving;

import io.bootswarm.common.peertoken.PeerTokenKey;
import io.bootswarm.common.peertoken.PeerTokenKeyring;
import io.bootswarm.common.peertoken.PeerTokenVerifier;
import io.bootswarm.common.peertoken.TokenAccess;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireMetrics;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.SeedProperties;
import io.bootswarm.seed.tracker.TrackerCalls;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;

/**
 * The seed's peer wire server: started with the application context (so its port is known, even
 * when {@code bootswarm.seed.peer-port=0}, to anyone who injects the {@link PeerWireServer} bean and
 * calls {@link PeerWireServer#port()}), closed with it. It serves a peer only with a valid peer access
 * token from the tracker in its BEP 10 extended handshake, or for an image an admin opened to stock
 * BitTorrent clients ({@link TokenAccess}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({PeerTokenSettings.class, PeerWireSettings.class})
class ServingConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ServingConfiguration.class);

    /**
     * The tracker's token keys: pinned ({@code bootswarm.seed.peer-token.keys}), else fetched from the
     * tracker ({@link TrackerCalls}).
     */
    @Bean
    PeerTokenKeyring peerTokenKeyring(PeerTokenSettings settings, Clock clock, TrackerCalls tracker) {
        if (!settings.keys().isEmpty()) {
            log.info("peer access tokens are accepted when signed by a configured key");
            return PeerTokenKeyring.of(settings.keys(), null, clock, settings.refetchAfter());
        }
        if (!tracker.enabled()) {
            log.warn("neither bootswarm.seed.peer-token.keys nor bootswarm.seed.tracker-url is set: no peer access "
                    + "token can be verified; only images opened to stock clients are served");
            return PeerTokenKeyring.pinned(List.of());
        }
        return PeerTokenKeyring.of(List.of(), () -> {
            PeerTokenKey[] keys = tracker.call(client -> client.get().uri("/api/v1/peer-token-keys")
                    .retrieve().body(PeerTokenKey[].class));
            return keys == null ? List.of() : List.of(keys);
        }, clock, settings.refetchAfter());
    }

    @Bean
    PeerAccess peerAccess(PeerTokenKeyring keys, Clock clock, ImageSwarms swarms, MeterRegistry meters) {
        return new TokenAccess(new PeerTokenVerifier(keys, clock), swarms::openToStockClients, meters);
    }

    @Bean(destroyMethod = "close")
    PeerWireServer peerWireServer(SeedProperties properties, PeerWireSettings wire, ImageSwarms swarms,
                                  SeedIdentity identity, PeerAccess access) throws IOException {
        InetSocketAddress bind = properties.peerBindAddress().isBlank()
                ? new InetSocketAddress(properties.peerPort())
                : new InetSocketAddress(properties.peerBindAddress(), properties.peerPort());
        PeerWireServer server = new PeerWireServer(new PeerWireServer.Settings(bind, properties.maxPeerConnections(),
                wire.handshakeTimeout(), wire.idleTimeout(), properties.uploadSlots(), wire.maxQueuedRequests(),
                RateLimiter.perSecond(properties.uploadRate().toBytes()), wire.writeTimeout(),
                wire.maxConnectionsPerAddress(), wire.capLoopback(), wire.urgentShare()), swarms, identity.peerId(),
                access);
        if (wire.referrals()) {
            server.referring(wire.referralWindow(), wire.referralHolders());
        }
        server.start();
        log.info("serving image pieces on the peer wire at {}", server.address());
        return server;
    }

    /** The server's bounds: refused at a cap, handshakes timed out, idle connections closed. */
    @Bean
    MeterBinder peerWireBoundMetrics(PeerWireServer server) {
        return new PeerWireMetrics(server, "bootswarm.seed.peer");
    }

    @Bean
    MeterBinder peerWireMetrics(PeerWireServer server, ImageSwarms swarms) {
        return registry -> {
            Gauge.builder("bootswarm.seed.peer.connections", server, PeerWireServer::openConnections)
                    .description("peer wire connections open").register(registry);
            Gauge.builder("bootswarm.seed.peer.images.open", swarms, ImageSwarms::openImages)
                    .description("images opened for serving").register(registry);
            FunctionCounter.builder("bootswarm.seed.peer.protocol.errors", server, PeerWireServer::protocolErrors)
                    .description("peer connections closed for breaking the protocol").register(registry);
            FunctionCounter.builder("bootswarm.seed.peer.refused", server, PeerWireServer::refusedPeers)
                    .description("peer connections closed without serving: no valid access token for a swarm "
                            + "not opened to stock clients (by reason: bootswarm.peer.refused)").register(registry);
            FunctionCounter.builder("bootswarm.seed.peer.blocks.served", server, PeerWireServer::blocksServed)
                    .description("blocks sent to peers").register(registry);
            FunctionCounter.builder("bootswarm.seed.peer.bytes.served", server, PeerWireServer::bytesServed)
                    .description("block bytes sent to peers").register(registry);
        };
    }
}
