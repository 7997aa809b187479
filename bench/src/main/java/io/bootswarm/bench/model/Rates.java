package io.bootswarm.bench.model;

/**
 * The distribution model of VMTorrent §3.2: a peer's effective download rate r (bytes/s) from the
 * service wait W (seconds: request to first bit), the link rate r_net (bytes/s), the piece size S
 * (bytes) and the swarm size n, for a hypervisor with one read outstanding at a time.
 */
public final class Rates {

    private Rates() {
    }

    /**
     * Eq. 9, centralized: the server splits r_net evenly over n peers, so one piece takes
     * {@code W_cs(n) + S/(r_net/n)} (Eq. 8) and {@code r = r_net S / (n (r_net/n · W + S))}.
     */
    public static double centralized(double rNet, double pieceBytes, int n, double wait) {
        check(rNet, pieceBytes, n, wait);
        return rNet * pieceBytes / (n * (rNet / n * wait + pieceBytes));
    }

    /** Eq. 11, the swarm's part: {@code r_swarm = r_net S / (r_net W_p2p + S)}. */
    public static double swarm(double rNet, double pieceBytes, double wait) {
        check(rNet, pieceBytes, 1, wait);
        return rNet * pieceBytes / (rNet * wait + pieceBytes);
    }

    /**
     * Eq. 12, P2P with a dedicated seed: the swarm's rate plus the seed's share (Eq. 9). For n = 1
     * there is no swarm (footnote 6: d = 0, W_p2p = ∞) and this is Eq. 13, the centralized rate.
     */
    public static double p2p(double rNet, double pieceBytes, int n, double waitP2p, double waitCs) {
        double seed = centralized(rNet, pieceBytes, n, waitCs);
        return n == 1 ? seed : swarm(rNet, pieceBytes, waitP2p) + seed;
    }

    /** Eq. 14 and §4.4.1: W_cs(n) = RTT + Q (below the server's congestion threshold). */
    public static double waitCentralized(double rtt, double q) {
        return rtt + q;
    }

    /** §4.4.1, demand: piece diversity falls in proportion to n, W_p2p = RTT + Q n. */
    public static double waitP2pDemand(double rtt, double q, int n) {
        return rtt + q * n;
    }

    /** Eq. 15, window-randomized profile prefetch: W_p2p = RTT + Q √n. */
    public static double waitP2pProfile(double rtt, double q, int n) {
        return rtt + q * Math.sqrt(n);
    }

    private static void check(double rNet, double s, int n, double w) {
        if (!(rNet > 0) || !(s > 0) || n < 1 || !(w >= 0)) {
            throw new IllegalArgumentException("need r_net > 0, S > 0, n ≥ 1, W ≥ 0; got " + rNet + ", " + s + ", "
                    + n + ", " + w);
        }
    }
}
