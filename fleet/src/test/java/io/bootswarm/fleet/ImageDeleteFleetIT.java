package io.bootswarm.fleet;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.bootswarm.agent.launch.LaunchCommandListener;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deleting an image that a launch runs: the seed asks the tracker, refuses (409 {@code image-in-use} naming the
 * launch) and keeps the image; forcing it is the admin's; a forced delete has the tracker stop the launch, the
 * agent logs why and reports its host STOPPED with the reason, and the image is gone. An image no launch runs
 * is deleted as before.
 */
class ImageDeleteFleetIT extends FleetITSupport {

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void anImageInUseIsRefusedUntilAnAdminForcesItAndThenItsLaunchStopsForThatReason() throws Exception {
        LocalFleet.Agent agent = fleet.startAgent("delete-host", Map.of());
        client.awaitHostUp("delete-host", T);
        UUID imageId = upload("in-use", 211);
        UUID launchId = UUID.fromString(client.launch(imageId, List.of("delete-host"), null).path("id").asString());
        client.awaitLaunchReady(launchId, T);

        HttpResponse<String> refused = delete(imageId, false, "admin");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        JsonNode problem = json.readTree(refused.body());
        assertThat(problem.path("type").asString()).isEqualTo("urn:bootswarm:problem:image-in-use");
        assertThat(problem.path("launches").valueStream().map(JsonNode::asString)).containsExactly(launchId.toString());
        assertThat(client.image(imageId).path("id").asString()).isEqualTo(imageId.toString());
        assertThat(client.launch(launchId).path("state").asString()).isEqualTo("READY");

        for (String role : List.of("orchestrator", "viewer")) {
            HttpResponse<String> forbidden = delete(imageId, true, role);
            assertThat(forbidden.statusCode()).as(role + ": " + forbidden.body()).isEqualTo(403);
        }
        assertThat(client.launch(launchId).path("state").asString()).isEqualTo("READY");

        Logger agentLog = (Logger) LoggerFactory.getLogger(LaunchCommandListener.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        agentLog.addAppender(lines);
        JsonNode stopped;
        try {
            HttpResponse<String> forced = delete(imageId, true, "admin");
            assertThat(forced.statusCode()).as(forced.body()).isEqualTo(204);
            stopped = client.awaitLaunch(launchId, l -> "STOPPED".equals(l.path("state").asString()), T);
        } finally {
            agentLog.detachAppender(lines);
        }
        assertThat(stopped.path("hosts").get(0).path("detail").asString()).isEqualTo("image-deleted");
        assertThat(stopped.hasNonNull("stopRequestedAt")).isTrue();
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).contains("launch " + launchId
                + " stopped by the tracker: image-deleted (image " + imageId + "); its disk is removed from this host");
        assertThat(client.get(agent.apiUrl() + "/api/v1/disks").valueStream()
                .map(d -> d.path("id").asString())).doesNotContain(launchId.toString());
        assertThat(status(fleet.seedUrl() + "/api/v1/images/" + imageId)).isEqualTo(404);

        UUID unused = upload("unused", 212);
        HttpResponse<String> plain = delete(unused, false, "admin");
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(204);
        assertThat(status(fleet.seedUrl() + "/api/v1/images/" + unused)).isEqualTo(404);
    }

    private UUID upload(String name, long seed) throws Exception {
        Path file = Tools.image(work.resolve(name + ".img"), 2L * 1024 * 1024, seed);
        return UUID.fromString(client.uploadImage(name, file).path("id").asString());
    }

    /** {@code DELETE /api/v1/images/{id}} at the seed as the fleet's client of {@code role}. */
    private HttpResponse<String> delete(UUID imageId, boolean force, String role) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(fleet.seedUrl() + "/api/v1/images/" + imageId
                        + (force ? "?force=true" : "")))
                .header("Authorization", "Bearer " + fleet.auth().token(role)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int status(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + fleet.auth().token("admin")).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
