package io.bootswarm.allocator;

import io.bootswarm.testing.TestHttp;
import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.common.events.SwarmReport.Entry;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Two images A and B that share one piece group: two agents of A, three of B, each reporting its
 * images and groups (R_j, u_j, θ_j). Ids are fresh per instance. The expected aggregates (Wu et al.
 * Eq. 10) are written out by hand: the shared group misses 2.3 GB and gets 9.3 MB/s from both images'
 * agents, B's own group misses 5.2 GB with 1.7 MB/s of peers, so an equal split is far from optimal.
 */
public final class TwoImages {

    public final UUID a = UUID.randomUUID();
    public final UUID b = UUID.randomUUID();
    public final String shared = group();
    public final String onlyA = group();
    public final String onlyB = group();

    private static final Random RANDOM = new Random();

    private static String group() {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    private static Entry e(UUID image, String group, long missing, double share) {
        return new Entry("ab".repeat(20), image, group, missing, share);
    }

    public List<Agents.Host> hosts() {
        String tag = shared.substring(0, 6);
        return List.of(
                new Agents.Host("a1-" + tag, 4_000_000, List.of(e(a, null, 900_000_000, 1.0),
                        e(a, shared, 600_000_000, 0.5), e(a, onlyA, 300_000_000, 0.5))),
                new Agents.Host("a2-" + tag, 8_000_000, List.of(e(a, null, 200_000_000, 1.0),
                        e(a, shared, 0, 0.75), e(a, onlyA, 200_000_000, 0.25))),
                new Agents.Host("b1-" + tag, 2_000_000, List.of(e(b, null, 2_500_000_000L, 0.5),
                        e(b, shared, 500_000_000, 0.2), e(b, onlyB, 2_000_000_000, 0.3))),
                new Agents.Host("b2-" + tag, 2_000_000, List.of(e(b, null, 2_200_000_000L, 0.5),
                        e(b, shared, 600_000_000, 0.25), e(b, onlyB, 1_600_000_000, 0.25))),
                new Agents.Host("b3-" + tag, 1_000_000, List.of(e(b, null, 2_200_000_000L, 1.0),
                        e(b, shared, 600_000_000, 0.4), e(b, onlyB, 1_600_000_000, 0.6))));
    }

    /** R^g per group: the sums of the hosts' missing bytes. */
    public Map<String, Double> remaining() {
        return Map.of(shared, 2.3e9, onlyA, 0.5e9, onlyB, 5.2e9);
    }

    /** P^g per group: Σ_j u_j θ_j^g. */
    public Map<String, Double> peerUpload() {
        return Map.of(shared, 4e6 * 0.5 + 8e6 * 0.75 + 2e6 * 0.2 + 2e6 * 0.25 + 1e6 * 0.4,
                onlyA, 4e6 * 0.5 + 8e6 * 0.25,
                onlyB, 2e6 * 0.3 + 2e6 * 0.25 + 1e6 * 0.6);
    }

    /** Hosts still missing some of each group. */
    public Map<String, Double> popularity() {
        return Map.of(shared, 4.0, onlyA, 2.0, onlyB, 3.0);
    }

    public Set<String> groups() {
        return Set.of(shared, onlyA, onlyB);
    }

    public Set<String> images() {
        return Set.of(a.toString(), b.toString());
    }

    /**
     * True when the stored plan {@code planId} was made from every host's report (an allocator may
     * plan between two hosts' first reports): each group's R is the full sum.
     */
    public boolean complete(TestHttp http, UUID planId) {
        TestHttp.Response r = http.get("/api/v1/plans/" + planId);
        if (r.status() != 200) {
            return false;
        }
        return remaining().entrySet().stream().allMatch(e -> r.<List<Number>>json(
                "$.swarms[?(@.swarmId == '" + e.getKey() + "')].remainingBytes").stream()
                .anyMatch(v -> v.doubleValue() == e.getValue()));
    }

    /** The three groups alone as a problem. */
    public AllocationProblem problem(double seedUpload) {
        List<String> ids = List.of(shared, onlyA, onlyB);
        return AllocationProblem.of(ids, ids.stream().mapToDouble(remaining()::get).toArray(),
                ids.stream().mapToDouble(peerUpload()::get).toArray(), seedUpload);
    }
}
