package io.bootswarm.fleet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet's Kafka broker goes away and comes back (issue 11): a disk that is running keeps
 * serving every byte right while its pieces still come from the seed over the peer wire; a launch
 * made while Kafka is away is accepted and stays PENDING with the reason it waits (the tracker
 * cannot send launch commands, since when, and by when the launch must be ready), then becomes READY
 * once Kafka is back, as does a launch made afterwards; the agents' statuses sent meanwhile reach the tracker.
 * The broker comes back on its port, with its data and the services' passwords
 * ({@link LocalFleet#stopKafka()}, {@link LocalFleet#startKafka()}).
 */
class KafkaAwayIT extends FleetITSupport {

    static final int PIECE = 256 * 1024;
    static final int PIECES = 64;

    /**
     * How long the tracker's outbox relay waits for Kafka to take a batch (default 30 s): a round that
     * fails is what tells the tracker that Kafka is away.
     */
    static final String SEND_TIMEOUT = "2s";

    static Tools.Image image;
    static UUID imageId;
    static String runningAgentUrl;

    @Override
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults.withTrackerProperties(Map.of("bootswarm.outbox.send-timeout", SEND_TIMEOUT));
    }

    @BeforeAll
    void imageAndAgents() throws Exception {
        image = Tools.distinctPieces(work.resolve("kafka-away.img"), PIECES, PIECE, 16, 53);
        imageId = UUID.fromString(client.uploadImage("kafka-away", image.file()).path("id").asString());
        for (String host : List.of("running", "during", "after")) {
            LocalFleet.Agent agent = fleet.startAgent(host, Map.of());
            if (host.equals("running")) {
                runningAgentUrl = agent.apiUrl();
            }
            client.awaitHostUp(host, T);
        }
    }

    @Test
    void runningDisksKeepReadingWhileKafkaIsAwayAndLaunchesMadeMeanwhileAreDeliveredWhenItIsBack() throws Exception {
        UUID running = UUID.fromString(client.launch(imageId, List.of("running"), Map.of("policy", "DEMAND"), null)
                .path("id").asString());
        String runningNbd = client.awaitLaunchReady(running, T).path("hosts").get(0).path("nbdUri").asString();
        String bootstrap = fleet.kafkaBootstrapServers();

        fleet.stopKafka();
        int nonZero = PIECES - image.zeroPieces();
        assertThat(client.disk(runningAgentUrl, running).path("piecesPresent").asInt())
                .as("pieces of the running disk (fetched on demand) when Kafka went away: its read fetches the rest")
                .isLessThan(nonZero);
        assertThat(sha256(runningNbd)).as("every byte of the running disk, read while Kafka is away")
                .isEqualTo(image.sha256());

        JsonNode during = client.launch(imageId, List.of("during"), null);
        UUID duringId = UUID.fromString(during.path("id").asString());
        assertThat(during.path("state").asString()).as("a launch made while Kafka is away").isEqualTo("PENDING");
        JsonNode waiting = client.awaitLaunch(duringId,
                l -> l.path("hosts").get(0).path("detail").asString("").startsWith("waiting for Kafka"), T);
        assertThat(waiting.path("state").asString()).as("the launch while Kafka is away").isEqualTo("PENDING");
        assertThat(waiting.path("hosts").get(0).path("detail").asString())
                .as("why the launch waits").contains("cannot send launch commands since", "fails");

        fleet.startKafka();
        assertThat(fleet.kafkaBootstrapServers()).isEqualTo(bootstrap);

        JsonNode delivered = client.awaitLaunchReady(duringId, T);
        assertThat(delivered.path("hosts").get(0).hasNonNull("detail")).as("a reason to wait, once ready").isFalse();
        assertThat(sha256(delivered.path("hosts").get(0).path("nbdUri").asString()))
                .as("the disk of the launch made while Kafka was away").isEqualTo(image.sha256());
        UUID after = launch("after");
        JsonNode afterView = client.awaitLaunchReady(after, T);
        assertThat(sha256(afterView.path("hosts").get(0).path("nbdUri").asString()))
                .as("the disk of a launch made after Kafka came back").isEqualTo(image.sha256());

        JsonNode runningView = client.awaitLaunch(running,
                l -> l.path("hosts").get(0).path("piecesPresent").asInt() == nonZero, T);
        assertThat(runningView.path("hosts").get(0).path("piecesTotal").asInt())
                .as("the running disk's progress, made while Kafka was away, at the tracker").isEqualTo(nonZero);
    }

    private static UUID launch(String host) throws IOException, InterruptedException {
        return UUID.fromString(client.launch(imageId, List.of(host), null).path("id").asString());
    }

    /** SHA-256 of the whole export at {@code nbdUri}, read piece by piece as a guest would. */
    private static String sha256(String nbdUri) throws Exception {
        URI u = URI.create(nbdUri);
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (NbdSession nbd = NbdSession.open(u.getHost(), u.getPort(), u.getPath().substring(1),
                Duration.ofSeconds(30))) {
            assertThat(nbd.size()).isEqualTo(image.size());
            for (long off = 0; off < nbd.size(); off += PIECE) {
                d.update(nbd.read(off, (int) Math.min(PIECE, nbd.size() - off)));
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
