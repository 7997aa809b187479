package io.bootswarm.agent.tracker;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The host's registration loop against a tracker played by a JDK HTTP server, one round at a time. */
class HostHeartbeatTest {

    final StubTracker tracker;
    final TrackerClient client;
    final HostHeartbeat heartbeat;

    HostHeartbeatTest() throws IOException {
        tracker = new StubTracker();
        client = tracker.client();
        heartbeat = new HostHeartbeat(client, "host-1", "http://10.0.0.7:8082", 6881, Duration.ofMillis(50));
    }

    @AfterEach
    void close() {
        heartbeat.close();
        client.close();
        tracker.close();
    }

    @Test
    void registersFirstThenHeartbeatsAndRegistersAgainWhenTheTrackerForgotTheHost() {
        assertThat(tracker.requests).as("nothing before start").isEmpty();
        heartbeat.beat();
        assertThat(heartbeat.isRegistered()).isTrue();
        heartbeat.beat();
        tracker.answer = r -> r.path().endsWith("/heartbeat") ? new StubTracker.Response(404, "")
                : StubTracker.Response.ok("{}");
        heartbeat.beat();

        assertThat(tracker.paths()).containsExactly("POST /api/v1/hosts", "POST /api/v1/hosts/host-1/heartbeat",
                "POST /api/v1/hosts/host-1/heartbeat", "POST /api/v1/hosts");
    }

    @Test
    void aTrackerOutageLeavesTheHostRegisteredAndTheNextRoundHeartbeatsAgain() {
        heartbeat.beat();
        tracker.answer = r -> new StubTracker.Response(500, "{}");
        heartbeat.beat();
        heartbeat.beat();
        assertThat(heartbeat.isRegistered()).isTrue();
        tracker.answer = r -> StubTracker.Response.ok("{}");
        heartbeat.beat();

        assertThat(tracker.paths()).containsExactly("POST /api/v1/hosts", "POST /api/v1/hosts/host-1/heartbeat",
                "POST /api/v1/hosts/host-1/heartbeat", "POST /api/v1/hosts/host-1/heartbeat");
    }

    @Test
    void startRunsTheRoundsUntilCloseWhichIsIdempotent() {
        heartbeat.start();
        heartbeat.start();
        await().until(() -> tracker.requests.size() >= 3);
        assertThat(tracker.paths().getFirst()).isEqualTo("POST /api/v1/hosts");
        assertThat(tracker.paths().subList(1, 3)).containsOnly("POST /api/v1/hosts/host-1/heartbeat");

        heartbeat.close();
        heartbeat.close();
        int after = tracker.requests.size();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                .until(() -> tracker.requests.size() <= after + 1); // a round under way may still finish
    }

    @Test
    void aClosedHeartbeatDoesNotStart() {
        heartbeat.close();
        heartbeat.start();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(tracker.requests::isEmpty);
    }
}
