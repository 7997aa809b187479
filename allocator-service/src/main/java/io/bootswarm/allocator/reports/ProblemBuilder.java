package io.bootswarm.allocator.reports;

import io.bootswarm.common.events.SwarmReport;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Aggregates live swarm reports into the allocation problem's inputs (Wu et al. Eq. 10).
 *
 * <p>At group level a swarm is a piece group, named by its group id in every report that has it:
 * <ul>
 *   <li>{@code R^g = Σ_j R_j^g}, the group's bytes each host still misses, over every host that
 *       reported the group, whichever of the group's images it runs;</li>
 *   <li>{@code P^g = Σ_j u_j θ_j^g}, each host's upload capacity times the share of its upload it
 *       spends on the group's pieces. Agents count a piece they serve towards its group whichever
 *       image's peer asked for it, so agents of image A serving the group {A, B} to agents of B add
 *       to the same P^g as B's own agents;</li>
 *   <li>popularity: hosts that reported the group and still miss some of it (Cross-Prop's weight).</li>
 * </ul>
 * A host that reports one group more than once (it runs two of the group's images) counts once:
 * the largest of its missing bytes and of its shares. At image level the image-level entries are
 * aggregated the same way, per image.
 *
 * <p>At group level a host whose report has no group entries (an agent that does not know its
 * images' groups yet) is left out, its upload with it; the image level counts every host.
 *
 * <p>Entries that make no sense (no image, negative bytes, a share outside [0, 1]) are skipped.
 */
public final class ProblemBuilder {

    private ProblemBuilder() {
    }

    /**
     * The inputs at {@code preferred} level; at group level, falls back to image level when no
     * report has a group entry. Empty (no swarms) when there are no usable entries.
     */
    public static Inputs build(List<SwarmReport> reports, Inputs.Level preferred, long seedUpload) {
        if (preferred == Inputs.Level.GROUP && reports.stream().flatMap(r -> r.swarms().stream())
                .anyMatch(e -> usable(e) && !e.imageLevel())) {
            return aggregate(reports, Inputs.Level.GROUP, seedUpload);
        }
        return aggregate(reports, Inputs.Level.IMAGE, seedUpload);
    }

    private static final class Acc {
        final TreeSet<String> images = new TreeSet<>();
        double remaining;
        double peerUpload;
        double popularity;
    }

    /** One host's contribution to one swarm. */
    private record Share(String image, long missing, double share) {
    }

    private static Inputs aggregate(List<SwarmReport> reports, Inputs.Level level, long seedUpload) {
        Map<String, Acc> swarms = new TreeMap<>();
        int hosts = 0;
        for (SwarmReport r : reports) {
            Map<String, Share> mine = new LinkedHashMap<>();
            Map<String, TreeSet<String>> imagesOf = new HashMap<>();
            for (SwarmReport.Entry e : r.swarms()) {
                if (!usable(e) || e.imageLevel() != (level == Inputs.Level.IMAGE)) {
                    continue;
                }
                String id = level == Inputs.Level.IMAGE ? e.imageId().toString() : e.groupId();
                String image = e.imageId().toString();
                mine.merge(id, new Share(image, e.missingBytes(), e.uploadShare()), (a, b) ->
                        new Share(a.image(), Math.max(a.missing(), b.missing()), Math.max(a.share(), b.share())));
                imagesOf.computeIfAbsent(id, k -> new TreeSet<>()).add(image);
            }
            if (mine.isEmpty()) {
                continue;
            }
            hosts++;
            for (Map.Entry<String, Share> m : mine.entrySet()) {
                Acc acc = swarms.computeIfAbsent(m.getKey(), k -> new Acc());
                Share s = m.getValue();
                acc.images.addAll(imagesOf.get(m.getKey()));
                acc.remaining += s.missing();
                acc.peerUpload += r.uploadCapacity() * s.share();
                if (s.missing() > 0) {
                    acc.popularity += 1;
                }
            }
        }
        return new Inputs(level, hosts, swarms.entrySet().stream().map(e -> new Inputs.Swarm(e.getKey(),
                List.copyOf(e.getValue().images), e.getValue().remaining, e.getValue().peerUpload,
                e.getValue().popularity)).toList(), seedUpload);
    }

    private static boolean usable(SwarmReport.Entry e) {
        return e != null && e.imageId() != null && e.missingBytes() >= 0
                && e.uploadShare() >= 0 && e.uploadShare() <= 1
                && (e.groupId() == null || !e.groupId().isBlank());
    }
}
