package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.events.LaunchStatus.State;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.bootswarm.tracker.launch.KafkaProbe.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What seed-service asks the tracker, with its own identity (role {@code seed}), before it deletes an image:
 * the image's live launches (not asked to stop, a host pending, preparing or ready; not other images', not
 * stopped or wholly failed ones), and, when the delete is forced, to stop them with a reason that every STOP
 * command carries and that the hosts' STOPPED reports show.
 */
class ImageLaunchStopIT extends TrackerITSupport {

    private KafkaProbe kafka;

    @BeforeEach
    void kafka() {
        kafka = new KafkaProbe(INFRA.kafka());
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    private static String seedToken() {
        return INFRA.auth().token("seed", Set.of("seed"), null);
    }

    private Response asSeed(HttpRequest.Builder b) {
        return sendAsIs(b.header("Authorization", "Bearer " + seedToken()).build());
    }

    private UUID launch(UUID image, String... hosts) {
        Response r = post("/api/v1/launches", """
                {"imageId": "%s", "hosts": [%s]}""".formatted(image,
                String.join(", ", List.of(hosts).stream().map(h -> "\"" + h + "\"").toList())));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return uuid(r.json("$.id"));
    }

    private List<String> liveLaunches(UUID image) {
        Response r = asSeed(HttpRequest.newBuilder(uri("/api/v1/launches?imageId=" + image + "&live=true")).GET());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.<Integer>json("$.totalElements")).isEqualTo(r.<List<String>>json("$.items[*].id").size());
        return r.json("$.items[*].id");
    }

    @Test
    void theSeedSeesAnImagesLiveLaunchesAndStopsThemForAReasonTheHostsReportBack() {
        String a = hostName("del-a");
        String b = hostName("del-b");
        registerHost(a);
        registerHost(b);
        UUID image = SEED.addImage("to-delete", 1L << 20);
        UUID other = SEED.addImage("to-keep", 1L << 20);
        UUID ready = launch(image, a, b);
        UUID pending = launch(image, a);
        UUID failed = launch(image, b);
        UUID stoppedBefore = launch(image, a);
        UUID otherImage = launch(other, a);
        kafka.send(status(ready, a, State.READY, 1, "nbd://127.0.0.1:10809/x", null, 1, 4, 10, null));
        kafka.send(status(failed, b, State.FAILED, 1, null, null, 0, 4, 0, "no space"));
        assertThat(delete("/api/v1/launches/" + stoppedBefore).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(get("/api/v1/launches/" + failed)
                .json("$.state")) && "READY".equals(get("/api/v1/launches/" + ready).json("$.hosts[0].state")));

        assertThat(liveLaunches(image)).containsExactlyInAnyOrder(ready.toString(), pending.toString());
        assertThat(liveLaunches(other)).containsExactly(otherImage.toString());

        Response stop = asSeed(HttpRequest.newBuilder(uri("/api/v1/launches/stops"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"imageId": "%s", "reason": "image-deleted"}""".formatted(image))));
        assertThat(stop.status()).as(stop.body()).isEqualTo(200);
        assertThat(stop.<List<String>>json("$.launchIds")).containsExactlyInAnyOrder(ready.toString(),
                pending.toString());
        assertThat(stop.<String>json("$.reason")).isEqualTo("image-deleted");

        List<KafkaProbe.Received> commands = kafka.commands(ready, 4, Duration.ofSeconds(1));
        assertThat(commands).filteredOn(c -> c.command().action() == LaunchCommand.Action.STOP)
                .extracting(c -> c.command().host() + " " + c.command().reason())
                .containsExactlyInAnyOrder(a + " image-deleted", b + " image-deleted");
        assertThat(kafka.commands(stoppedBefore, 2, Duration.ZERO))
                .filteredOn(c -> c.command().action() == LaunchCommand.Action.STOP)
                .as("a launch already asked to stop is not stopped again").singleElement()
                .satisfies(c -> assertThat(c.command().reason()).isNull());
        assertThat(kafka.commands(otherImage, 1, Duration.ofMillis(500)))
                .extracting(c -> c.command().action()).containsExactly(LaunchCommand.Action.START);
        assertThat(liveLaunches(image)).isEmpty();
        assertThat(liveLaunches(other)).containsExactly(otherImage.toString());

        Response again = asSeed(HttpRequest.newBuilder(uri("/api/v1/launches/stops"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"imageId": "%s", "reason": "image-deleted"}""".formatted(image))));
        assertThat(again.<List<String>>json("$.launchIds")).as("a repeated stop").isEmpty();

        kafka.send(status(ready, a, State.STOPPED, 2, null, null, 0, 0, 0, "image-deleted"));
        kafka.send(status(ready, b, State.STOPPED, 1, null, null, 0, 0, 0, "image-deleted"));
        await().atMost(Duration.ofSeconds(30)).until(() -> "STOPPED".equals(get("/api/v1/launches/" + ready)
                .json("$.state")));
        assertThat(get("/api/v1/launches/" + ready).<List<String>>json("$.hosts[*].detail"))
                .containsExactly("image-deleted", "image-deleted");
    }

    @Test
    void aReasonMustBeAShortCode() {
        Response r = asSeed(HttpRequest.newBuilder(uri("/api/v1/launches/stops"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"imageId": "%s", "reason": "Deleted!\\nforged log line"}""".formatted(UUID.randomUUID()))));
        assertProblem(r, 400, "invalid-request");
    }
}
