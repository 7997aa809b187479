package io.bootswarm.seed.serving;

import io.bootswarm.common.wire.PeerWireServer;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.seed.peer-wire.*}: how far the seed's peer wire server trusts a peer (see
 * {@link PeerWireServer} for each rule). The connection cap over all peers and the upload slots and rate are
 * {@code bootswarm.seed.max-peer-connections}, {@code upload-slots} and {@code upload-rate}.
 *
 * @param handshakeTimeout         the whole preamble (handshake, extended handshake with the token) must arrive
 *                                 within this of the accept
 * @param idleTimeout              a peer that could request but sends no request for this long is closed
 * @param maxConnectionsPerAddress connections open at once from one address (an agent opens two per image)
 * @param capLoopback              whether that cap holds for loopback peers too (off: a local fleet runs all its
 *                                 agents on 127.0.0.1)
 * @param urgentShare              the share of the upload rate urgent (demand) connections may take first
 * @param maxQueuedRequests        requests a peer may have outstanding, advertised as BEP 10 {@code reqq}
 * @param writeTimeout             a peer that stops reading for this long is closed
 */
@ConfigurationProperties("bootswarm.seed.peer-wire")
record PeerWireSettings(@DefaultValue("10s") Duration handshakeTimeout, @DefaultValue("2m") Duration idleTimeout,
                        @DefaultValue("32") int maxConnectionsPerAddress, @DefaultValue("false") boolean capLoopback,
                        @DefaultValue("0.5") double urgentShare, @DefaultValue("1024") int maxQueuedRequests,
                        @DefaultValue("60s") Duration writeTimeout) {
}
