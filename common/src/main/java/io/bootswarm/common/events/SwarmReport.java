package io.bootswarm.common.events;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What one host's agent tells allocator-service (and the seed's fallback split) every
 * {@code report-interval} (5 s by default): its upload capacity and, per swarm it is in, the bytes
 * it still misses and the share of its upload it gives that swarm (Wu et al. §IV, Eq. 10's
 * {@code u_j}, {@code R_j^i} and {@code θ_j^i}). Keyed by host, so one host's reports stay in order;
 * a consumer keeps the newest report per host (by {@link #at()}) and forgets a host whose reports
 * stop, so a redelivered or late report changes nothing.
 *
 * <p>Two kinds of entries, told apart by {@link Entry#groupId()}:
 * <ul>
 *   <li><b>image-level</b> ({@code groupId} null), one per image the host is in: the image's
 *       non-zero bytes still missing on the host, and the share of the host's upload that goes to
 *       peers fetching that image;</li>
 *   <li><b>group-level</b>, one per piece group of that image (seed-service's
 *       {@code GET /api/v1/images/{id}/groups}: the pieces contained by exactly the same set of
 *       images): the group's bytes still missing on the host, and the share of the host's upload
 *       spent on pieces of that group, whichever image's peer asked for them. A host in several
 *       images sends each group once.</li>
 * </ul>
 * The shares of each level sum to at most 1 (an image-level share is the sum of the shares of its
 * groups); an agent that uploaded nothing in the last interval reports how it would split its
 * upload (e.g. over the groups by the bytes of each it holds).
 *
 * @param host           the reporting host (the Kafka key)
 * @param uploadCapacity u_j in bytes per second: the agent's configured upload rate, or a measured
 *                       estimate when its upload is unlimited
 * @param swarms         the entries; never null
 */
public record SwarmReport(UUID eventId, Instant at, String host, long uploadCapacity, List<Entry> swarms)
        implements BootswarmEvent {

    public SwarmReport {
        swarms = swarms == null ? List.of() : List.copyOf(swarms);
    }

    /**
     * One swarm the host is in.
     *
     * @param swarmId      the image's swarm id (40 hex digits)
     * @param imageId      the image
     * @param groupId      the piece group (32 hex digits), or null for the image-level entry
     * @param missingBytes R_j^i: bytes of the image (or group) the host does not hold yet, all-zero
     *                     pieces not counted
     * @param uploadShare  θ_j^i in [0, 1]
     */
    public record Entry(String swarmId, UUID imageId, String groupId, long missingBytes, double uploadShare) {

        /** True for the entry of a whole image, false for one of its piece groups. */
        public boolean imageLevel() {
            return groupId == null;
        }
    }

    @Override
    public String key() {
        return host;
    }
}
