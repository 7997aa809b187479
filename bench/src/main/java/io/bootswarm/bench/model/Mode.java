package io.bootswarm.bench.model;

import java.util.Locale;

/**
 * The scenarios of VMTorrent §4.2: distribution (centralized or P2P) × policy (demand or profile
 * prefetch), and local. Shared by the analytic model and the simulator.
 */
public enum Mode {
    /** Centralized distribution, demand fetches only. */
    CS_D(false, false),
    /** Centralized distribution, profile prefetch. */
    CS_P(false, true),
    /** P2P distribution, demand fetches only. */
    P2P_D(true, false),
    /** P2P distribution, window-randomized profile prefetch. */
    P2P_P(true, true),
    /** The image already on the host (the paper's local disk; here every piece present). */
    LOCAL(false, false);

    private final boolean p2p;
    private final boolean prefetch;

    Mode(boolean p2p, boolean prefetch) {
        this.p2p = p2p;
        this.prefetch = prefetch;
    }

    public boolean p2p() {
        return p2p;
    }

    public boolean prefetch() {
        return prefetch;
    }

    /** The paper's name: cs_d, cs_p, p2p_d, p2p_p, local. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses cs_d, CS-D, p2p_p, … */
    public static Mode parse(String s) {
        try {
            return valueOf(s.trim().replace('-', '_').toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("unknown mode '" + s + "'; one of cs_d, cs_p, p2p_d, p2p_p, local");
        }
    }
}
