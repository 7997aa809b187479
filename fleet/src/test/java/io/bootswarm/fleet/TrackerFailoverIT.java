package io.bootswarm.fleet;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two tracker replicas and no load balancer (docker compose, bare hosts): an agent and the seed are given
 * both URLs ({@code bootswarm.agent.tracker-url}, {@code bootswarm.seed.tracker-url}), call the first, and
 * when it is closed move on to the second: a launch made there on that agent (whose seed comes from the
 * tracker, its announces go to it) reaches READY and its disk reads the image's bytes, and the seed's
 * registration stays live on the surviving replica. Seed replicas alike: an agent given a dead seed's URL and then
 * the fleet's ({@code bootswarm.agent.seed-url}) fetches a launch's manifest from the second and stays with it.
 */
class TrackerFailoverIT extends FleetITSupport {

    static final int PIECE = 256 * 1024;
    static final int PIECES = 32;
    static final String HOST = "failover";
    static final String SEED_HOST = "seed-failover";

    static final int PORT_A = port();
    static final int PORT_B = port();
    static final String URL_A = "http://127.0.0.1:" + PORT_A;
    static final String URL_B = "http://127.0.0.1:" + PORT_B;
    static final String BOTH = URL_A + "," + URL_B;
    /** a seed replica that is down: nothing listens there */
    static final String DEAD_SEED = "http://127.0.0.1:" + port();

    static Tools.Image image;
    static UUID imageId;
    static ConfigurableApplicationContext replicaB;
    static LocalFleet.Agent agent;
    static LocalFleet.Agent seedAgent;
    static FleetClient viaB;

    private static int port() {
        try {
            return freeTcpPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Tracker A on a known port, and the seed told both replicas' URLs, re-registering every second. */
    @Override
    LocalFleet.Options options(LocalFleet.Options d) {
        return new LocalFleet.Options(d.workDirectory(), d.durable(), d.postgresPort(), d.kafkaPort(), PORT_A,
                d.seedPort(), d.seedPeerPort(), d.profilePort(), d.allocatorPort(), d.authPort(),
                Map.of("bootswarm.seed.tracker-url", BOTH, "bootswarm.seed.heartbeat-interval", "1s"),
                d.allocatorProperties(), d.trackerProperties());
    }

    @BeforeAll
    void replicaImageAndAgent() throws Exception {
        replicaB = fleet.startTrackerReplica("tracker-service-b", PORT_B);
        viaB = new FleetClient(URL_B, fleet.seedUrl(), () -> fleet.auth().token(LocalFleet.OPERATOR));
        image = Tools.distinctPieces(work.resolve("failover.img"), PIECES, PIECE, 8, 71);
        imageId = UUID.fromString(viaB.uploadImage("failover", image.file()).path("id").asString());
        agent = fleet.startAgent(HOST, Map.of("bootswarm.agent.tracker-url", BOTH));
        seedAgent = fleet.startAgent(SEED_HOST, Map.of("bootswarm.agent.tracker-url", BOTH,
                "bootswarm.agent.seed-url", DEAD_SEED + "," + fleet.seedUrl()));
        viaB.awaitHostUp(HOST, T);
        viaB.awaitHostUp(SEED_HOST, T);
    }

    @Test
    void withTheFirstSeedDownALaunchFetchesItsManifestFromTheSecondAndIsReady() throws Exception {
        MeterRegistry meters = seedAgent.context().getBean(MeterRegistry.class);
        assertThat(seedMeter(meters, DEAD_SEED)).as("the agent calls the first seed").isEqualTo(1);

        JsonNode launch = viaB.launch(imageId, List.of(SEED_HOST), null);
        JsonNode ready = viaB.awaitLaunchReady(UUID.fromString(launch.path("id").asString()), T);
        assertThat(sha256(ready.path("hosts").get(0).path("nbdUri").asString()))
                .as("every byte of the disk launched with the first seed down").isEqualTo(image.sha256());

        assertThat(seedMeter(meters, fleet.seedUrl())).as("the agent stays on the second seed").isEqualTo(1);
        assertThat(seedMeter(meters, DEAD_SEED)).isZero();
        assertThat(meters.get("bootswarm.remote.replica.failovers").tag("service", "seed").counter().count())
                .as("the agent's moves to another seed").isEqualTo(1);
    }

    private static double seedMeter(MeterRegistry meters, String url) {
        return meters.get("bootswarm.remote.replica.current").tag("service", "seed").tag("url", url).gauge().value();
    }

    @Test
    void withTheFirstReplicaClosedALaunchOnTheAgentIsReadyAndTheSeedStaysRegistered() throws Exception {
        MeterRegistry agentMeters = agent.context().getBean(MeterRegistry.class);
        MeterRegistry seedMeters = fleet.seed().getBean(MeterRegistry.class);
        assertThat(current(agentMeters, URL_A)).as("the agent calls the first replica").isEqualTo(1);
        assertThat(current(seedMeters, URL_A)).as("the seed calls the first replica").isEqualTo(1);

        Instant closed = Instant.now();
        fleet.tracker().close();

        await("the seed registered at replica B after A closed").atMost(T).pollInterval(Duration.ofMillis(200))
                .until(() -> seenAtB().isAfter(closed));
        JsonNode launch = viaB.launch(imageId, List.of(HOST), null);
        UUID launchId = UUID.fromString(launch.path("id").asString());
        JsonNode ready = viaB.awaitLaunchReady(launchId, T);
        assertThat(sha256(ready.path("hosts").get(0).path("nbdUri").asString()))
                .as("every byte of the disk launched through replica B").isEqualTo(image.sha256());

        assertThat(current(agentMeters, URL_B)).as("the agent stays on replica B").isEqualTo(1);
        assertThat(current(agentMeters, URL_A)).isZero();
        assertThat(failovers(agentMeters)).as("the agent's moves to another replica").isEqualTo(1);
        assertThat(current(seedMeters, URL_B)).as("the seed stays on replica B").isEqualTo(1);
        assertThat(failovers(seedMeters)).as("the seed's moves to another replica").isEqualTo(1);
        Instant before = seenAtB();
        await("the seed re-registering at replica B").atMost(T).pollInterval(Duration.ofMillis(200))
                .until(() -> seenAtB().isAfter(before));
    }

    /** When replica B last saw the fleet's seed, as its list of live seeds says. */
    private static Instant seenAtB() throws IOException, InterruptedException {
        JsonNode seeds = viaB.get(URL_B + "/api/v1/seeds");
        for (JsonNode s : seeds) {
            if (s.path("apiUrl").asString().equals(fleet.seedUrl())) {
                return Instant.parse(s.path("lastSeen").asString());
            }
        }
        return Instant.EPOCH;
    }

    private static double current(MeterRegistry meters, String url) {
        return meters.get("bootswarm.remote.replica.current").tag("service", "tracker").tag("url", url).gauge()
                .value();
    }

    private static double failovers(MeterRegistry meters) {
        return meters.get("bootswarm.remote.replica.failovers").tag("service", "tracker").counter().count();
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
