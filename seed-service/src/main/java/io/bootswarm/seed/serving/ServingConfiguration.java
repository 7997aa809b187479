package io.bootswarm.seed.serving;

import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.SeedProperties;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The seed's peer wire server: started with the application context (so its port is known, even
 * when {@code bootswarm.seed.peer-port=0}, to anyone who injects the {@link PeerWireServer} bean and
 * calls {@link PeerWireServer#port()}), closed with it.
 */
@Configuration(proxyBeanMethods = false)
class ServingConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ServingConfiguration.class);

    @Bean(destroyMethod = "close")
    PeerWireServer peerWireServer(SeedProperties properties, ImageSwarms swarms, SeedIdentity identity)
            throws IOException {
        InetSocketAddress bind = properties.peerBindAddress().isBlank()
                ? new InetSocketAddress(properties.peerPort())
                : new InetSocketAddress(properties.peerBindAddress(), properties.peerPort());
        PeerWireServer server = new PeerWireServer(new PeerWireServer.Settings(bind, properties.maxPeerConnections(),
                Duration.ofSeconds(10), Duration.ofMinutes(3)).withUpload(properties.uploadSlots(),
                RateLimiter.perSecond(properties.uploadRate().toBytes())), swarms, identity.peerId());
        log.info("serving image pieces on the peer wire at {}", server.address());
        return server;
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
            FunctionCounter.builder("bootswarm.seed.peer.blocks.served", server, PeerWireServer::blocksServed)
                    .description("blocks sent to peers").register(registry);
            FunctionCounter.builder("bootswarm.seed.peer.bytes.served", server, PeerWireServer::bytesServed)
                    .description("block bytes sent to peers").register(registry);
        };
    }
}
