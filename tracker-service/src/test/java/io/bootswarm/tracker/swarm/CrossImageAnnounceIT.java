package io.bootswarm.tracker.swarm;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.tracker.TrackerITSupport;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cross-image peers in the JSON announce, with a stand-in seed-service naming the related swarms:
 * the swarm's own peers first, then those of related swarms, marked; numWant bounds both; a
 * seed-service that fails or hangs costs the announce its cross-image peers, never an error or more
 * than the configured wait.
 */
class CrossImageAnnounceIT extends TrackerITSupport {

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private SeedRelatedSwarms relatedSwarms;

    @Autowired
    private CircuitBreakerRegistry circuitBreakers;

    @Autowired
    private TimeLimiterRegistry timeLimiters;

    private double failedLookups() {
        return meters.counter("bootswarm.tracker.related.lookups", "outcome", "failed").count();
    }

    private Response announce(String swarm, String peer, String host, int numWant) {
        Response r = post("/api/v1/announce", """
                {"swarmId": "%s", "peerId": "%s", "host": "%s", "port": 7000, "left": 1000, "numWant": %d}"""
                .formatted(swarm, peer, host, numWant));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    @Test
    void peersOfImagesSharingPiecesComeAfterTheSwarmsOwnMarkedWithTheirSwarm() {
        String a = randomHex();
        String b = randomHex();
        String c = randomHex();
        SEED.relate(b, a, 120, c, 7);
        String a1 = randomHex();
        String a2 = randomHex();
        String b1 = randomHex();
        String c1 = randomHex();
        announce(a, a1, "10.1.0.1", 50);
        announce(a, a2, "10.1.0.2", 50);
        announce(c, c1, "10.3.0.1", 50);
        announce(b, b1, "10.2.0.1", 50);

        String b2 = randomHex();
        Response r = announce(b, b2, "10.2.0.2", 50);
        assertThat(r.<List<String>>json("$.peers[*].peerId")).hasSize(5).startsWith("seed-it", b1);
        assertThat(r.<List<String>>json("$.peers[2:4].peerId")).containsExactlyInAnyOrder(a1, a2);
        assertThat(r.<String>json("$.peers[4].peerId")).isEqualTo(c1);
        assertThat(r.<List<Boolean>>json("$.peers[*].crossImage")).containsExactly(false, false, true, true, true);
        assertThat(r.<List<String>>json("$.peers[*].swarmId")).containsExactly(a, a, c);
        assertThat(r.<List<Boolean>>json("$.peers[*].seed")).containsExactly(true, false, false, false, false);
        assertThat(r.<String>json("$.peers[2].host")).startsWith("10.1.0.");
        assertThat(r.<Integer>json("$.incomplete")).isEqualTo(2);

        // numWant: the swarm's own peers first, cross-image peers in the room left (seeds on top)
        assertThat(announce(b, randomHex(), "10.2.0.3", 2).<List<String>>json("$.peers[*].peerId"))
                .hasSize(3).startsWith("seed-it").doesNotContain(c1)
                .satisfies(ids -> assertThat(ids.get(2)).isIn(a1, a2, b1, b2));
        assertThat(announce(b, randomHex(), "10.2.0.4", 0).<List<String>>json("$.peers[*].peerId"))
                .containsExactly("seed-it");

        // seed-service was asked once for B: the answer is cached
        assertThat(SEED.relatedRequests(b)).isEqualTo(1);

        // the BitTorrent announce keeps to the swarm
        byte[] infoHash = HexFormat.of().parseHex(b);
        HttpResponse<byte[]> bt = getBytes("/announce/" + passkey() + "?info_hash=" + escape(infoHash) + "&peer_id="
                + escape("-TR4060-cross0000001".getBytes()) + "&port=51413&uploaded=0&downloaded=0&left=10&compact=1");
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) Bencode.decode(bt.body());
        // seed + the four peers of B itself, 6 bytes each; none of A's or C's
        assertThat(((byte[]) body.get("peers")).length).isEqualTo(5 * 6);
    }

    @Test
    void aFailingOrHangingSeedServiceCostsOnlyTheCrossImagePeers() {
        String failing = randomHex();
        String hanging = randomHex();
        String other = randomHex();
        SEED.failRelated(failing);
        SEED.slowRelated(hanging);
        double failedBefore = failedLookups();
        String o1 = randomHex();
        announce(other, o1, "10.4.0.1", 50);
        String f1 = randomHex();
        announce(failing, f1, "10.5.0.1", 50);

        Response r = announce(failing, randomHex(), "10.5.0.2", 50);
        assertThat(r.<List<String>>json("$.peers[*].peerId")).containsExactly("seed-it", f1);
        // the lookup runs beside the announces (and other tests' lookups): wait for this one to have
        // failed, its retries included
        await().atMost(Duration.ofSeconds(30)).until(() -> relatedSwarms.lookupFailed(SwarmId.parse(failing)));
        int asked = SEED.relatedRequests(failing);
        assertThat(asked).isPositive();
        assertThat(failedLookups()).isGreaterThan(failedBefore);
        // the stand-in seed is called through instances of its own, configured as those named seed-service
        assertThat(circuitBreakers.circuitBreaker("seed-service@" + SEED.url()).getCircuitBreakerConfig()
                .getMinimumNumberOfCalls()).isEqualTo(1000);
        assertThat(timeLimiters.timeLimiter("seed-service@" + SEED.url()).getTimeLimiterConfig()
                .getTimeoutDuration()).isEqualTo(Duration.ofMillis(500));
        // the failure is remembered for a while: no new lookup on the next announce
        announce(failing, randomHex(), "10.5.0.3", 50);
        assertThat(SEED.relatedRequests(failing)).isEqualTo(asked);

        // a hanging seed-service: the announce answers without its related swarms, before the seed does
        int answered = SEED.slowAnswered(hanging);
        Response slow = announce(hanging, randomHex(), "10.6.0.1", 50);
        assertThat(slow.<List<String>>json("$.peers[*].peerId")).containsExactly("seed-it");
        await().atMost(Duration.ofSeconds(30)).until(() -> SEED.relatedRequests(hanging) > 0);
        assertThat(SEED.slowAnswered(hanging)).as("the announce did not wait for its answer").isEqualTo(answered);

        // a swarm seed-service does not know (404) simply has no cross-image peers
        String unknown = randomHex();
        announce(unknown, randomHex(), "10.7.0.1", 50);
        assertThat(announce(unknown, randomHex(), "10.7.0.2", 50).<List<Boolean>>json("$.peers[*].crossImage"))
                .containsExactly(false, false);
    }
}
