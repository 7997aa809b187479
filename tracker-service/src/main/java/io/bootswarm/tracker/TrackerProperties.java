package io.bootswarm.tracker;

import io.bootswarm.tracker.net.Cidr;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * {@code bootswarm.tracker.*}: the tracker's own settings. Every value has a default, so an empty
 * configuration runs.
 *
 * @param seedTtl            a registered seed that has not re-registered for this long is forgotten (20 s)
 * @param hostTimeout        a host whose last heartbeat is older than this is DOWN (15 s)
 * @param announceInterval   the announce interval given to peers; a peer that does not announce again
 *                           within twice this is dropped from its swarm (30 s)
 * @param defaultNumWant     peers returned when an announce does not say how many it wants (50)
 * @param maxNumWant         most swarm peers returned to one announce, whatever it asks for (200)
 * @param seedUrl            seed-service base URL used when no live seed has registered (none)
 * @param seedConnectTimeout TCP connect timeout for calls to seed-service (1 s)
 * @param seedReadTimeout    response timeout for calls to seed-service (3 s); resilience4j's time limiter
 *                           bounds each attempt as well
 * @param sweepInterval      how often expired seeds and peers are dropped and host states re-evaluated (1 s)
 * @param maxLaunchHosts     most hosts one launch may name (1000)
 * @param maxPageSize        largest page of launches one list call returns (100)
 * @param relatedSwarmsTtl   how long the swarms related to a swarm (images sharing pieces with it, asked of
 *                           seed-service for the cross-image peers of an announce) are kept (30 s)
 * @param relatedSwarmsWait  longest an announce waits for seed-service to name related swarms it has not
 *                           cached yet; after that it answers without cross-image peers (300 ms)
 * @param relatedSwarmsRetry after seed-service failed to answer for a swarm, how long before it is asked again (5 s)
 * @param announce           whose claimed peer addresses are believed ({@code announce.*})
 * @param status             bounds on the agents' launch status reports consumed from Kafka ({@code status.*})
 */
@ConfigurationProperties("bootswarm.tracker")
public record TrackerProperties(Duration seedTtl, Duration hostTimeout, Duration announceInterval,
                                int defaultNumWant, int maxNumWant, URI seedUrl, Duration seedConnectTimeout,
                                Duration seedReadTimeout, Duration sweepInterval, int maxLaunchHosts,
                                int maxPageSize, Duration relatedSwarmsTtl, Duration relatedSwarmsWait,
                                Duration relatedSwarmsRetry, Announce announce, Status status) {

    /**
     * {@code bootswarm.tracker.announce.*}: the address stored for a peer (JSON and BitTorrent announces,
     * seed registrations) and handed to the others is the source address of its connection, whatever it
     * names itself.
     *
     * @param trustedNetworks CIDR networks (IPv4 or IPv6) whose callers keep the address they name, e.g.
     *                        agents behind NAT or a proxy that must advertise a public address (none)
     */
    public record Announce(List<Cidr> trustedNetworks) {

        public Announce {
            trustedNetworks = trustedNetworks == null ? List.of() : List.copyOf(trustedNetworks);
        }
    }

    /**
     * {@code bootswarm.tracker.status.*}: bounds on the agents' launch status reports. A report outside
     * them is dropped and counted in {@code bootswarm.tracker.status.dropped{reason}}.
     *
     * @param maxSequenceGap how far past the last sequence applied for its launch host a report's sequence may
     *                       run (1,000,000); a sequence up to the tracker's clock plus max-clock-skew, in
     *                       microseconds since the epoch, is accepted whatever the gap, because agents number
     *                       their reports by their clock in microseconds (a genuine report after a silence
     *                       of a second is a million past the last)
     * @param maxClockSkew   how far ahead of the tracker's clock a report's timestamp, and its sequence read as
     *                       a clock, may be (5 min)
     * @param outageRetryMaxInterval longest wait between two attempts to apply a report while the database is
     *                       away (5 s; the waits start at 200 ms and double); well under the consumer's
     *                       {@code max.poll.interval.ms}
     */
    public record Status(long maxSequenceGap, Duration maxClockSkew, Duration outageRetryMaxInterval) {

        public Status {
            if (maxSequenceGap < 0) {
                throw new IllegalArgumentException("bootswarm.tracker.status.max-sequence-gap must be positive, got "
                        + maxSequenceGap);
            }
            maxSequenceGap = maxSequenceGap == 0 ? 1_000_000 : maxSequenceGap;
            maxClockSkew = positive(maxClockSkew, Duration.ofMinutes(5), "status.max-clock-skew");
            outageRetryMaxInterval = positive(outageRetryMaxInterval, Duration.ofSeconds(5),
                    "status.outage-retry-max-interval");
        }
    }

    public TrackerProperties {
        seedTtl = positive(seedTtl, Duration.ofSeconds(20), "seed-ttl");
        hostTimeout = positive(hostTimeout, Duration.ofSeconds(15), "host-timeout");
        announceInterval = positive(announceInterval, Duration.ofSeconds(30), "announce-interval");
        defaultNumWant = defaultNumWant <= 0 ? 50 : defaultNumWant;
        maxNumWant = maxNumWant <= 0 ? 200 : maxNumWant;
        seedConnectTimeout = positive(seedConnectTimeout, Duration.ofSeconds(1), "seed-connect-timeout");
        seedReadTimeout = positive(seedReadTimeout, Duration.ofSeconds(3), "seed-read-timeout");
        sweepInterval = positive(sweepInterval, Duration.ofSeconds(1), "sweep-interval");
        maxLaunchHosts = maxLaunchHosts <= 0 ? 1000 : maxLaunchHosts;
        maxPageSize = maxPageSize <= 0 ? 100 : maxPageSize;
        relatedSwarmsTtl = positive(relatedSwarmsTtl, Duration.ofSeconds(30), "related-swarms-ttl");
        relatedSwarmsWait = positive(relatedSwarmsWait, Duration.ofMillis(300), "related-swarms-wait");
        relatedSwarmsRetry = positive(relatedSwarmsRetry, Duration.ofSeconds(5), "related-swarms-retry");
        announce = announce == null ? new Announce(null) : announce;
        status = status == null ? new Status(0, null, null) : status;
        if (defaultNumWant > maxNumWant) {
            throw new IllegalArgumentException("bootswarm.tracker.default-num-want exceeds max-num-want");
        }
    }

    /** All defaults. */
    public static TrackerProperties defaults() {
        return new TrackerProperties(null, null, null, 0, 0, null, null, null, null, 0, 0, null, null, null, null, null);
    }

    /** How long a peer stays in its swarm without announcing again: twice the announce interval. */
    public Duration peerExpiry() {
        return announceInterval.multipliedBy(2);
    }

    private static Duration positive(Duration value, Duration fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("bootswarm.tracker." + name + " must be positive, got " + value);
        }
        return value;
    }
}
