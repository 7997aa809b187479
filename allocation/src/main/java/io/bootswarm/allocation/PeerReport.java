package io.bootswarm.allocation;

import java.util.List;
import java.util.Objects;

/**
 * What one peer (VM instance / host agent) reports for the allocator: its upload capacity
 * {@code u_j} and, per swarm it is in, the share {@code θ_j^i} of that capacity it gives the
 * swarm and the bytes {@code R_j^i} it still misses there (Wu et al. §IV, Eq. 10).
 *
 * @param peerId     the peer (for messages only)
 * @param uploadRate u_j, ≥ 0
 * @param swarms     one entry per swarm; the shares sum to at most 1
 */
public record PeerReport(String peerId, double uploadRate, List<SwarmShare> swarms) {

    /** Shares may exceed 1 in total by this much (rounding in the agent's own arithmetic). */
    static final double SHARE_SLACK = 1e-9;

    public PeerReport {
        Objects.requireNonNull(peerId, "peerId");
        if (!Double.isFinite(uploadRate) || uploadRate < 0) {
            throw new IllegalArgumentException("upload rate of peer '" + peerId
                    + "' must be finite and non-negative, got " + uploadRate);
        }
        swarms = List.copyOf(Objects.requireNonNull(swarms, "swarms"));
        double total = 0;
        for (SwarmShare s : swarms) {
            total += s.uploadShare();
        }
        if (total > 1 + SHARE_SLACK) {
            throw new IllegalArgumentException("upload shares of peer '" + peerId + "' sum to " + total
                    + " > 1 (Σ_i θ_j^i ≤ 1)");
        }
    }

    /**
     * @param swarmId        the swarm
     * @param uploadShare    θ_j^i in [0, 1]
     * @param remainingBytes R_j^i ≥ 0
     */
    public record SwarmShare(String swarmId, double uploadShare, double remainingBytes) {
        public SwarmShare {
            if (swarmId == null || swarmId.isEmpty()) {
                throw new IllegalArgumentException("swarm id is null or empty");
            }
            if (!(uploadShare >= 0 && uploadShare <= 1)) {
                throw new IllegalArgumentException("upload share for swarm '" + swarmId
                        + "' must be in [0, 1], got " + uploadShare);
            }
            SwarmDemand.check("remainingBytes", swarmId, remainingBytes);
        }
    }
}
