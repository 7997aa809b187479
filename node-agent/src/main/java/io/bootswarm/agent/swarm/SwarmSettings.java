package io.bootswarm.agent.swarm;

import java.time.Duration;

/**
 * How an agent behaves in a swarm ({@code bootswarm.agent.swarm.*}).
 *
 * @param maxConnections  peer connections per swarm
 * @param connectTimeout  TCP connect and handshake
 * @param unchokeTimeout  how long to wait for a new connection to unchoke us
 * @param pieceTimeout    how long one peer may take to deliver a requested piece before another is tried
 * @param maxAttempts     peers tried for one piece before the read fails
 * @param announceRetry   how soon to ask the tracker again when it knows no usable peer
 * @param fillConcurrency pieces the background fill keeps in flight (0 turns the fill off)
 */
public record SwarmSettings(int maxConnections, Duration connectTimeout, Duration unchokeTimeout,
                            Duration pieceTimeout, int maxAttempts, Duration announceRetry, int fillConcurrency) {

    /** Unset (null or non-positive) values take their defaults. */
    public SwarmSettings {
        maxConnections = maxConnections <= 0 ? 16 : maxConnections;
        connectTimeout = orDefault(connectTimeout, Duration.ofSeconds(5));
        unchokeTimeout = orDefault(unchokeTimeout, Duration.ofSeconds(5));
        pieceTimeout = orDefault(pieceTimeout, Duration.ofSeconds(20));
        maxAttempts = maxAttempts <= 0 ? 6 : maxAttempts;
        announceRetry = orDefault(announceRetry, Duration.ofSeconds(2));
        fillConcurrency = Math.max(0, fillConcurrency);
    }

    private static Duration orDefault(Duration d, Duration fallback) {
        return d == null || d.isZero() || d.isNegative() ? fallback : d;
    }

    public static SwarmSettings defaults() {
        return new SwarmSettings(0, null, null, null, 0, null, 0);
    }
}
