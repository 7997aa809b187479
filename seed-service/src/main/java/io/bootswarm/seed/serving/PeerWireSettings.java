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
 * @param referrals                answer an agent's demand request for a piece the seed sent whole to other agents
 *                                 (or referred them for) within {@code referralWindow} with {@code bs_referral}
 *                                 naming those agents, once per connection and piece; the agent fetches it from
 *                                 them, or asks again and is served (see {@code PeerWireServer#referring}); on by
 *                                 default
 * @param referralWindow           how long after the seed sent a piece to an agent that agent is named for it
 * @param referralHolders          the most agents named per referral (1 to 8)
 */
@ConfigurationProperties("bootswarm.seed.peer-wire")
record PeerWireSettings(@DefaultValue("10s") Duration handshakeTimeout, @DefaultValue("2m") Duration idleTimeout,
                        @DefaultValue("32") int maxConnectionsPerAddress, @DefaultValue("false") boolean capLoopback,
                        @DefaultValue("0.5") double urgentShare, @DefaultValue("1024") int maxQueuedRequests,
                        @DefaultValue("60s") Duration writeTimeout, @DefaultValue("true") boolean referrals,
                        @DefaultValue("60s") Duration referralWindow, @DefaultValue("4") int referralHolders) {
}
