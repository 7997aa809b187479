package io.bootswarm.bench.model;

import java.util.Locale;

/**
 * The parameters of the analytic model (VMTorrent §4.3.1).
 *
 * @param rtt        network round-trip time, seconds
 * @param service    Q: the time a peer or the seed takes to start serving one request, seconds
 * @param pieceBytes S
 * @param linkRate   r_net, bytes per second
 */
public record ModelParameters(double rtt, double service, int pieceBytes, double linkRate) {

    /** 100 Mbps in bytes per second. */
    public static final double MBPS_100 = 100e6 / 8;
    /** 1 Gbps in bytes per second. */
    public static final double GBPS_1 = 1e9 / 8;

    /**
     * RTT and Q measured on this machine with the real peer wire server ({@link ServiceTimeProbe},
     * {@code lab model-params}): loopback TCP round trip, and the time from a piece request to its
     * first block at an idle {@code PeerWireServer} less that round trip (2 cores, JDK 25).
     */
    public static final double MEASURED_RTT = 50e-6;
    /** See {@link #MEASURED_RTT}. */
    public static final double MEASURED_SERVICE = 35e-6;

    public ModelParameters {
        if (!(rtt >= 0) || !(service >= 0) || pieceBytes <= 0 || !(linkRate > 0)) {
            throw new IllegalArgumentException("bad model parameters: " + rtt + ", " + service + ", " + pieceBytes
                    + ", " + linkRate);
        }
    }

    /** This machine's RTT and Q, 256 KiB pieces, at {@code linkRate} bytes/s. */
    public static ModelParameters measured(double linkRate) {
        return new ModelParameters(MEASURED_RTT, MEASURED_SERVICE, 256 * 1024, linkRate);
    }

    /**
     * The paper's §4.3.1 values: Q = 5·10⁻⁴ s, RTT 5·10⁻⁴ s at 100 Mbps and a tenth of it at
     * 1 Gbps, 16 KB pieces.
     */
    public static ModelParameters paper(double linkRate) {
        return new ModelParameters(linkRate > MBPS_100 * 2 ? 5e-5 : 5e-4, 5e-4, 16 * 1024, linkRate);
    }

    public ModelParameters withPieceBytes(int bytes) {
        return new ModelParameters(rtt, service, bytes, linkRate);
    }

    public ModelParameters withLinkRate(double rate) {
        return new ModelParameters(rtt, service, pieceBytes, rate);
    }

    public ModelParameters withService(double q) {
        return new ModelParameters(rtt, q, pieceBytes, linkRate);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RTT %.0f µs, Q %.0f µs, S %d KiB, r_net %.0f Mbps", rtt * 1e6,
                service * 1e6, pieceBytes / 1024, linkRate * 8 / 1e6);
    }
}
