package io.bootswarm.allocation;

/**
 * One swarm's aggregate inputs to the allocation problem.
 *
 * @param swarmId         the swarm (an image, or a group of pieces shared by several images)
 * @param imageId         the image the swarm belongs to, for {@link Strategy#ISO}; null: the swarm's own id
 * @param remainingBytes  R^i = Σ_j R_j^i, bytes the swarm's peers still miss (Wu et al. Eq. 10 numerator)
 * @param peerUploadRate  P^i = Σ_j u_j θ_j^i, upload the swarm's own peers give it (Eq. 10 denominator)
 * @param popularity      peers still downloading from the swarm, for {@link Strategy#CROSS_PROP}
 */
public record SwarmDemand(String swarmId, String imageId, double remainingBytes, double peerUploadRate,
                          double popularity) {

    public SwarmDemand {
        if (swarmId == null || swarmId.isEmpty()) {
            throw new IllegalArgumentException("swarm id is null or empty");
        }
        check("remainingBytes", swarmId, remainingBytes);
        check("peerUploadRate", swarmId, peerUploadRate);
        check("popularity", swarmId, popularity);
    }

    /** A swarm that is its own image, with popularity unknown (0). */
    public SwarmDemand(String swarmId, double remainingBytes, double peerUploadRate) {
        this(swarmId, null, remainingBytes, peerUploadRate, 0);
    }

    static void check(String what, String swarmId, double v) {
        if (!Double.isFinite(v) || v < 0) {
            throw new IllegalArgumentException(what + " of swarm '" + swarmId
                    + "' must be finite and non-negative, got " + v);
        }
    }
}
