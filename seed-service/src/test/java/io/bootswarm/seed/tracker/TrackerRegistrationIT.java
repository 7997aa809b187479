package io.bootswarm.seed.tracker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.seed.Api;
import io.bootswarm.seed.PeerClient;
import io.bootswarm.seed.SeedTestSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Registration with a stand-in tracker (a JDK HTTP server speaking the tracker's contract): the
 * JSON body, periodic re-registration, and a tracker that is slow, failing or gone never stops the
 * seed, is logged once when it starts failing and once when it recovers. The seed calls as its own
 * client: a bearer token with role {@code seed} (the stand-in checks it arrives, not its signature).
 */
@DirtiesContext
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=seed-service",
        "bootswarm.seed.id=seed-it-tracker",
        "bootswarm.seed.advertised-host=127.0.0.1",
        "bootswarm.seed.heartbeat-interval=200ms",
        "resilience4j.timelimiter.instances.tracker.timeout-duration=500ms",
        "resilience4j.retry.instances.tracker.max-attempts=2",
        "resilience4j.retry.instances.tracker.wait-duration=50ms",
        "resilience4j.circuitbreaker.instances.tracker.sliding-window-size=4",
        "resilience4j.circuitbreaker.instances.tracker.minimum-number-of-calls=4",
        "resilience4j.circuitbreaker.instances.tracker.wait-duration-in-open-state=1s",
})
class TrackerRegistrationIT {

    private static final int TRACKER_PORT = freePort();
    private static final Path STORAGE = SeedTestSupport.newStorageDir();
    private static final String DATABASE = SeedTestSupport.newDatabase();
    private static volatile FakeTracker tracker = FakeTracker.start(TRACKER_PORT);

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SeedTestSupport.register(registry, DATABASE, STORAGE);
        registry.add("bootswarm.seed.tracker-url", () -> "http://127.0.0.1:" + TRACKER_PORT + "/");
    }

    @LocalServerPort
    private int port;
    @Autowired
    private PeerWireServer peerWire;
    @Autowired
    private MeterRegistry meters;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Logger registrationLogger;

    @BeforeEach
    void captureLogs() {
        registrationLogger = (Logger) LoggerFactory.getLogger(TrackerRegistration.class);
        logs.start();
        registrationLogger.addAppender(logs);
    }

    @AfterEach
    void stopCapturing() {
        registrationLogger.detachAppender(logs);
    }

    @AfterAll
    static void stopTracker() {
        tracker.stop();
    }

    @Test
    void registersPeriodicallyAndSurvivesATrackerOutage() throws Exception {
        Api api = new Api(port);

        // 1. Registration, repeated every heartbeat, with the agreed JSON.
        awaitTrue("3 registrations", Duration.ofSeconds(20), () -> tracker.received().size() >= 3);
        for (FakeTracker.Received r : tracker.received()) {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/api/v1/seeds");
            assertThat(r.contentType()).startsWith("application/json");
            assertThat(r.authorization()).as("the seed's own token").startsWith("Bearer ");
            assertThat(Tokens.roles(r.authorization())).containsExactly("seed");
            JsonNode body = Api.json(r.body());
            assertThat(body.get("id").asString()).isEqualTo("seed-it-tracker");
            assertThat(body.get("peerHost").asString()).isEqualTo("127.0.0.1");
            assertThat(body.get("peerPort").asInt()).isEqualTo(peerWire.port());
            assertThat(body.get("apiUrl").asString()).isEqualTo("http://127.0.0.1:" + port);
            assertThat(body.propertyNames()).containsExactlyInAnyOrder("id", "peerHost", "peerPort", "apiUrl");
        }
        // re-registration goes on (and the circuit breaker is closed again should the seed's first call,
        // which also fetches its token, have run into the 500 ms limit)
        int seen = tracker.received().size();
        awaitTrue("3 re-registrations", Duration.ofSeconds(20), () -> tracker.received().size() >= seen + 3);

        // 2. The tracker hangs, then answers 503, then is gone: the seed keeps serving.
        logs.list.clear();
        tracker.hang();
        awaitTrue("2 registrations left hanging", Duration.ofSeconds(20), () -> tracker.hung() >= 2);
        tracker.fail();
        awaitTrue("2 registrations refused", Duration.ofSeconds(20), () -> tracker.failed() >= 2);
        tracker.stop();
        double failuresWhenGone = failures();
        awaitTrue("2 registrations with the tracker gone", Duration.ofSeconds(20),
                () -> failures() >= failuresWhenGone + 2);
        assertThat(warnings()).as("one WARN for the whole outage").hasSize(1);
        assertThat(warnings().getFirst().getFormattedMessage()).contains("is failing").contains("keeps serving");
        assertThat(failures()).isGreaterThanOrEqualTo(3);
        assertSeedServes(api);

        // 3. The tracker comes back on its address: registration resumes, logged once at INFO.
        int before = tracker.received().size();
        tracker = FakeTracker.start(TRACKER_PORT);
        awaitTrue("registration after recovery", Duration.ofSeconds(20), () -> !tracker.received().isEmpty());
        awaitTrue("recovery logged", Duration.ofSeconds(5), () -> logs.list.stream().anyMatch(
                e -> e.getLevel() == Level.INFO && e.getFormattedMessage().contains("recovered")));
        assertThat(warnings()).hasSize(1);
        assertThat(logs.list.stream().filter(e -> e.getFormattedMessage().contains("recovered")).count()).isEqualTo(1);
        assertThat(before).isPositive();
        awaitTrue("registrations go on", Duration.ofSeconds(10), () -> tracker.received().size() >= 3);
        assertThat(logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO)).toList())
                .as("no log line per attempt").extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.INFO);
    }

    private double failures() {
        return meters.counter("bootswarm.seed.tracker.registrations", "outcome", "failure").count();
    }

    private List<ILoggingEvent> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    private void assertSeedServes(Api api) throws IOException {
        assertThat(api.get("/api/v1/images").statusCode()).isEqualTo(200);
        assertThat(api.get("/actuator/health").statusCode()).isEqualTo(200);
        byte[] image = new byte[300 * 1024];
        new Random(11).nextBytes(image);
        var created = api.upload("it-tracker-down-" + UUID.randomUUID().toString().substring(0, 8), image);
        assertThat(created.statusCode()).isEqualTo(201);
        SwarmId swarm = SwarmId.parse(Api.json(created).get("swarmId").asString());
        try (PeerClient peer = PeerClient.connect(peerWire.port())) {
            peer.handshake(swarm, 2);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Bitfield.class);
            peer.send(PeerMessage.INTERESTED);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(peer.fetchPiece(1, image.length - 256 * 1024))
                    .isEqualTo(Arrays.copyOfRange(image, 256 * 1024, image.length));
        }
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        await(what).atMost(timeout).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The tracker's {@code POST /api/v1/seeds}, recording what it gets; can hang or fail on demand. A hanging
     * request is held until the tracker leaves that mode or stops (at most {@link #HANG_LIMIT}); the
     * requests it hangs and fails are counted, so that the test moves on once the seed has met each.
     */
    static final class FakeTracker {

        enum Mode { OK, HANG, FAIL }

        /** The longest a request is left hanging: far beyond the seed's 500 ms time limit. */
        static final Duration HANG_LIMIT = Duration.ofSeconds(3);

        record Received(String method, String path, String contentType, String authorization, String body) {
        }

        private final HttpServer server;
        private final List<Received> received = new CopyOnWriteArrayList<>();
        private final AtomicInteger hung = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private volatile CountDownLatch hanging = new CountDownLatch(0);
        private volatile Mode mode = Mode.OK;

        private FakeTracker(HttpServer server) {
            this.server = server;
        }

        static FakeTracker start(int port) {
            try {
                HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
                FakeTracker t = new FakeTracker(server);
                server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
                server.createContext("/", exchange -> {
                    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                    switch (t.mode) {
                        case HANG -> {
                            t.hung.incrementAndGet();
                            try {
                                t.hanging.await(HANG_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            exchange.sendResponseHeaders(204, -1);
                        }
                        case FAIL -> {
                            t.failed.incrementAndGet();
                            exchange.sendResponseHeaders(503, -1);
                        }
                        case OK -> {
                            t.received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                                    exchange.getRequestHeaders().getFirst("Content-Type"),
                                    exchange.getRequestHeaders().getFirst("Authorization"), body));
                            exchange.sendResponseHeaders(204, -1);
                        }
                    }
                    exchange.close();
                });
                server.start();
                return t;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        List<Received> received() {
            return received;
        }

        void hang() {
            hanging = new CountDownLatch(1);
            mode = Mode.HANG;
        }

        void fail() {
            mode = Mode.FAIL;
            hanging.countDown();
        }

        int hung() {
            return hung.get();
        }

        int failed() {
            return failed.get();
        }

        void stop() {
            hanging.countDown();
            server.stop(0);
        }
    }
}
