package io.bootswarm.bench.model;

/**
 * The model curves of VMTorrent Figs. 8 and 9: the predicted playback and normalized runtime
 * P⁻¹(A)/M⁻¹(A) of each {@link Mode} at swarm size n, from a demand curve M and the
 * {@link ModelParameters}. The wait times are those of §4.4.1: W_cs = RTT + Q for the seed,
 * RTT + Q n for P2P demand, RTT + Q √n for P2P profile (Eq. 15).
 */
public final class AnalyticModel {

    private final DemandCurve curve;
    private final ModelParameters params;

    public AnalyticModel(DemandCurve curve, ModelParameters params) {
        this.curve = curve;
        this.params = params;
    }

    /** The effective download rate r of a peer in {@code mode} among n peers (bytes/s). */
    public double rate(Mode mode, int n) {
        double s = params.pieceBytes();
        double rNet = params.linkRate();
        double wcs = Rates.waitCentralized(params.rtt(), params.service());
        return switch (mode) {
            case CS_D, CS_P -> Rates.centralized(rNet, s, n, wcs);
            case P2P_D -> Rates.p2p(rNet, s, n, Rates.waitP2pDemand(params.rtt(), params.service(), n), wcs);
            case P2P_P -> Rates.p2p(rNet, s, n, Rates.waitP2pProfile(params.rtt(), params.service(), n), wcs);
            case LOCAL -> Double.POSITIVE_INFINITY;
        };
    }

    /** P(t) of a peer in {@code mode} among n peers. */
    public ModelRun run(Mode mode, int n) {
        if (mode == Mode.LOCAL) {
            return new ModelRun(new double[] {0, curve.duration()}, new double[] {0, curve.total()},
                    new double[] {0, 0}, curve.duration(), curve.duration());
        }
        double r = rate(mode, n);
        return mode.prefetch() ? PlaybackModel.profile(curve, r) : PlaybackModel.demand(curve, r);
    }

    /** P⁻¹(A)/M⁻¹(A) of a peer in {@code mode} among n peers. */
    public double normalizedRuntime(Mode mode, int n) {
        return run(mode, n).normalizedRuntime();
    }

    public DemandCurve curve() {
        return curve;
    }

    public ModelParameters parameters() {
        return params;
    }
}
