package io.bootswarm.tracker.swarm;

import java.time.Duration;
import java.util.List;

/**
 * The answer to an announce.
 *
 * @param interval   when the peer should announce again
 * @param peers      peers for it to dial: every live seed, then up to numWant others: peers of the swarm
 *                   first, then cross-image peers (live peers of swarms whose images share pieces with it)
 * @param complete   live peers with the whole image, seeds included
 * @param incomplete live peers still fetching
 */
record AnnounceResult(Duration interval, List<SwarmPeer> peers, int complete, int incomplete) {
}
