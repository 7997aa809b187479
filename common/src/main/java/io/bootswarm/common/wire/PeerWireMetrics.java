package io.bootswarm.common.wire;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The bounds of a {@link PeerWireServer} as Micrometer counters, named under {@code prefix} (the seed's is
 * {@code bootswarm.seed.peer}): {@code .connections.refused{cap=connections|address}} (closed at accept by the
 * global or the per-address cap), {@code .handshake.timeouts} (no complete preamble by its deadline) and
 * {@code .idle.closed} (no request for the idle timeout) and {@code .requests.rejected} (requests for a piece not
 * held, e.g. evicted: rejected or dropped, the connection kept) and {@code .fetching.messages} ({@code bs_fetching}
 * messages sent) and {@code .referrals} (demand requests answered with {@code bs_referral}).
 */
public record PeerWireMetrics(PeerWireServer server, String prefix) implements MeterBinder {

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder(prefix + ".connections.refused", server, PeerWireServer::refusedAtConnectionCap)
                .tag("cap", "connections").description("peer connections closed at accept: the server was full")
                .register(registry);
        FunctionCounter.builder(prefix + ".connections.refused", server, PeerWireServer::refusedAtAddressCap)
                .tag("cap", "address")
                .description("peer connections closed at accept: their address had its cap open")
                .register(registry);
        FunctionCounter.builder(prefix + ".handshake.timeouts", server, PeerWireServer::handshakeTimeouts)
                .description("peer connections closed without a complete handshake by its deadline")
                .register(registry);
        FunctionCounter.builder(prefix + ".idle.closed", server, PeerWireServer::idleCloses)
                .description("peer connections closed after the idle timeout without a request")
                .register(registry);
        FunctionCounter.builder(prefix + ".requests.rejected", server, PeerWireServer::rejectedRequests)
                .description("requests for a piece not held (e.g. evicted): rejected or dropped, connection kept")
                .register(registry);
        FunctionCounter.builder(prefix + ".fetching.messages", server, PeerWireServer::fetchingMessages)
                .description("bs_fetching messages sent: the pieces this host is fetching, told to its peers")
                .register(registry);
        FunctionCounter.builder(prefix + ".referrals", server, PeerWireServer::referrals)
                .description("demand requests answered with bs_referral: agents that got the piece a moment ago")
                .register(registry);
    }
}
