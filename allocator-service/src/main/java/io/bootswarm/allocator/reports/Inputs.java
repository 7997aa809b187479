package io.bootswarm.allocator.reports;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.SwarmDemand;

import java.util.List;

/**
 * What a plan is made from: the swarms with their aggregates (Wu et al. Eq. 10: R^i = Σ_j R_j^i,
 * P^i = Σ_j u_j θ_j^i), how many hosts reported, and u_s.
 *
 * @param level      whether the swarms are piece groups or whole images
 * @param hosts      hosts whose reports went in
 * @param swarms     the swarms, ordered by id
 * @param seedUpload u_s in bytes per second
 */
public record Inputs(Level level, int hosts, List<Swarm> swarms, long seedUpload) {

    /** What the swarms of a problem are. */
    public enum Level {
        /** Piece groups (Wu et al.'s per-chunk swarms, merged by the images that contain them): the cross-image strategies. */
        GROUP,
        /** Whole images (isolated swarms): ISO, and any strategy when no report has groups. */
        IMAGE
    }

    /**
     * One swarm's aggregates.
     *
     * @param swarmId        a group id (32 hex digits) or an image id
     * @param imageIds       the images whose agents reported the swarm, sorted
     * @param remainingBytes R^i
     * @param peerUploadRate P^i, bytes per second
     * @param popularity     reporting hosts that still miss some of it
     */
    public record Swarm(String swarmId, List<String> imageIds, double remainingBytes, double peerUploadRate,
                        double popularity) {
        public Swarm {
            imageIds = List.copyOf(imageIds);
        }
    }

    public Inputs {
        swarms = List.copyOf(swarms);
    }

    public boolean isEmpty() {
        return swarms.isEmpty();
    }

    /** The solver's problem (every swarm its own image label: ISO's image-level problem has one swarm per image). */
    public AllocationProblem problem() {
        return AllocationProblem.of(swarms.stream().map(s -> new SwarmDemand(s.swarmId(), null, s.remainingBytes(),
                s.peerUploadRate(), s.popularity())).toList(), seedUpload);
    }

    public double totalRemainingBytes() {
        return swarms.stream().mapToDouble(Swarm::remainingBytes).sum();
    }

    public double totalPeerUploadRate() {
        return swarms.stream().mapToDouble(Swarm::peerUploadRate).sum();
    }
}
