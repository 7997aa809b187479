package io.bootswarm.fleet;

import io.bootswarm.agent.NodeAgentApplication;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.allocator.AllocatorServiceApplication;
import io.bootswarm.infra.Infra;
import io.bootswarm.auth.AuthorizationServer;
import io.bootswarm.infra.kafka.KafkaServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.postgres.PostgresServer;
import io.bootswarm.profile.ProfileServiceApplication;
import io.bootswarm.seed.ManifestSigner;
import io.bootswarm.seed.SeedServiceApplication;
import io.bootswarm.tracker.TrackerServiceApplication;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.unit.DataSize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The whole fleet on one machine: a PostgreSQL and a Kafka broker (embedded, or containers where
 * Docker runs), then tracker-service, seed-service, profile-service, allocator-service and node
 * agents, each a Spring application context of its own in this JVM, configured as separate
 * deployments would be (own ports, own database schema, own data directory) and talking only over
 * HTTP, Kafka and the peer wire.
 */
public final class LocalFleet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalFleet.class);
    private static final String ISSUER = "spring.security.oauth2.resourceserver.jwt.issuer-uri";
    /** The client the fleet's own CLI and tests call the API as: admin, orchestrator and viewer. */
    public static final String OPERATOR = "operator";

    /**
     * @param workDirectory where PostgreSQL, the seed's image store and the agents' data live
     * @param durable       PostgreSQL with fsync (the local fleet) or without (tests)
     * @param postgresPort  embedded PostgreSQL port, 0 for any
     * @param kafkaPort     embedded Kafka port, 0 for any
     * @param trackerPort   REST port of the tracker, 0 for any
     * @param seedPort      REST port of the seed, 0 for any
     * @param seedPeerPort  peer wire port of the seed, 0 for any
     * @param profilePort   REST port of profile-service, 0 for any
     * @param allocatorPort REST port of allocator-service, 0 for any
     * @param authPort      port of the authorization server (the fleet's identity provider), 0 for any
     * @param seedProperties more settings of the seed (e.g. its upload rate)
     * @param allocatorProperties more settings of allocator-service (e.g. its period); its
     *                      {@code seed-upload} defaults to the seed's {@code upload-rate} when that is set
     * @param trackerProperties more settings of tracker-service (e.g. its outbox's send timeout)
     */
    public record Options(Path workDirectory, boolean durable, int postgresPort, int kafkaPort, int trackerPort,
                          int seedPort, int seedPeerPort, int profilePort, int allocatorPort, int authPort,
                          Map<String, Object> seedProperties, Map<String, Object> allocatorProperties,
                          Map<String, Object> trackerProperties) {

        /** Options with no more tracker settings. */
        public Options(Path workDirectory, boolean durable, int postgresPort, int kafkaPort, int trackerPort,
                       int seedPort, int seedPeerPort, int profilePort, int allocatorPort, int authPort,
                       Map<String, Object> seedProperties, Map<String, Object> allocatorProperties) {
            this(workDirectory, durable, postgresPort, kafkaPort, trackerPort, seedPort, seedPeerPort, profilePort,
                    allocatorPort, authPort, seedProperties, allocatorProperties, Map.of());
        }

        /** Any free ports, no fsync: what tests use. */
        public static Options forTests(Path workDirectory) {
            return new Options(workDirectory, false, 0, 0, 0, 0, 0, 0, 0, 0, Map.of(), Map.of());
        }

        public Options withTrackerProperties(Map<String, Object> properties) {
            return new Options(workDirectory, durable, postgresPort, kafkaPort, trackerPort, seedPort, seedPeerPort,
                    profilePort, allocatorPort, authPort, seedProperties, allocatorProperties, Map.copyOf(properties));
        }

        public Options withKafkaPort(int port) {
            return new Options(workDirectory, durable, postgresPort, port, trackerPort, seedPort, seedPeerPort,
                    profilePort, allocatorPort, authPort, seedProperties, allocatorProperties, trackerProperties);
        }

        public Options withSeedProperties(Map<String, Object> properties) {
            return new Options(workDirectory, durable, postgresPort, kafkaPort, trackerPort, seedPort, seedPeerPort,
                    profilePort, allocatorPort, authPort, Map.copyOf(properties), allocatorProperties,
                    trackerProperties);
        }

        public Options withAllocatorProperties(Map<String, Object> properties) {
            return new Options(workDirectory, durable, postgresPort, kafkaPort, trackerPort, seedPort, seedPeerPort,
                    profilePort, allocatorPort, authPort, seedProperties, Map.copyOf(properties), trackerProperties);
        }
    }

    /** A node agent of the fleet. */
    public record Agent(String name, ConfigurableApplicationContext context, String apiUrl, Path dataDirectory)
            implements AutoCloseable {
        @Override
        public void close() {
            context.close();
        }
    }

    private final Options options;
    private final PostgresServer postgres;
    private final KafkaServer kafka;
    private final AuthorizationServer auth;
    private final List<ConfigurableApplicationContext> services = new ArrayList<>();
    private final List<Agent> agents = new CopyOnWriteArrayList<>();
    private ConfigurableApplicationContext tracker;
    private ConfigurableApplicationContext seed;
    private ConfigurableApplicationContext profile;
    private volatile ConfigurableApplicationContext allocator;
    private int allocatorBoundPort;
    private volatile String manifestKey;

    private LocalFleet(Options options, PostgresServer postgres, KafkaServer kafka, AuthorizationServer auth) {
        this.options = options;
        this.postgres = postgres;
        this.kafka = kafka;
        this.auth = auth;
    }

    /**
     * Starts infrastructure, tracker, seed, profile-service and allocator-service; add agents with
     * {@link #startAgent}.
     */
    public static LocalFleet start(Options options) {
        try {
            Files.createDirectories(options.workDirectory());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Infra.Mode mode = Infra.effectiveMode();
        long t0 = System.nanoTime();
        PostgresServer pg = Infra.postgres(mode, options.workDirectory().resolve("postgres"), options.postgresPort(),
                options.durable());
        pg.createDatabase("bootswarm");
        KafkaServer kafka = Infra.kafka(mode, options.kafkaPort());
        AuthorizationServer auth = AuthorizationServer.start("127.0.0.1", options.authPort(), null);
        LocalFleet fleet = new LocalFleet(options, pg, kafka, auth);
        try {
            for (String role : List.of("admin", "orchestrator", "viewer")) {
                auth.register(role, Set.of(role), null);
            }
            auth.register(OPERATOR, Set.of("admin", "orchestrator", "viewer"), null);
            Map<String, Object> trackerProperties = new LinkedHashMap<>(Map.of(
                    "server.port", options.trackerPort(),
                    "bootswarm.tracker.peer-token.key-file",
                    options.workDirectory().resolve("tracker/peer-token-key.pem").toString()));
            trackerProperties.putAll(options.trackerProperties());
            fleet.tracker = fleet.run(TrackerServiceApplication.builder(), fleet.databaseProperties(
                    fleet.serviceClient("tracker-service", "viewer", trackerProperties), KafkaUser.TRACKER));
            Map<String, Object> seedProperties = new LinkedHashMap<>(Map.of(
                    "server.port", options.seedPort(),
                    "bootswarm.seed.storage-dir", options.workDirectory().resolve("seed").toString(),
                    "bootswarm.seed.peer-port", options.seedPeerPort(),
                    "bootswarm.seed.tracker-url", fleet.trackerUrl()));
            seedProperties.putAll(options.seedProperties());
            fleet.seed = fleet.run(SeedServiceApplication.builder(), fleet.databaseProperties(
                    fleet.serviceClient("seed-service", "seed", seedProperties), KafkaUser.SEED));
            fleet.profile = fleet.run(ProfileServiceApplication.builder(), fleet.databaseProperties(
                    fleet.serviceClient("profile-service", "viewer", Map.of(
                            "server.port", options.profilePort(),
                            "bootswarm.profile.seed-url", fleet.seedUrl())), KafkaUser.PROFILE));
            fleet.startAllocator();
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
        log.info("fleet infrastructure and services up in {} ms ({} infrastructure)",
                (System.nanoTime() - t0) / 1_000_000, mode);
        return fleet;
    }

    /**
     * Starts allocator-service (again, after {@link #stopAllocator}: on the port it had, with its plan
     * history kept in the database).
     */
    public synchronized void startAllocator() {
        if (allocator != null) {
            throw new IllegalStateException("allocator-service is running");
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server.port", allocatorBoundPort != 0 ? allocatorBoundPort : options.allocatorPort());
        Object seedRate = options.seedProperties().get("bootswarm.seed.upload-rate");
        if (seedRate != null && DataSize.parse(seedRate.toString()).toBytes() > 0) {
            p.put("bootswarm.allocator.seed-upload", seedRate);
        }
        p.putAll(options.allocatorProperties());
        allocator = run(AllocatorServiceApplication.builder(),
                databaseProperties(serviceClient("allocator-service", "viewer", p), KafkaUser.ALLOCATOR));
        allocatorBoundPort = port(allocator);
    }

    /** Stops allocator-service: for the seed, as after a crash, plans stop coming. */
    public synchronized void stopAllocator() {
        ConfigurableApplicationContext a = allocator;
        if (a != null) {
            allocator = null;
            services.remove(a);
            closeQuietly(a);
        }
    }

    /** {@code own} plus the database and Kafka, where the service logs in as {@code kafkaUser}. */
    /**
     * Starts one more tracker-service replica beside the first: the same database, Kafka, peer-token key and
     * settings, a port of its own; closed with the fleet. Agents and seeds keep calling the first.
     */
    public ConfigurableApplicationContext startTrackerReplica(String clientId) {
        return startTrackerReplica(clientId, 0);
    }

    /** {@link #startTrackerReplica(String)} on {@code port} (0 for any free one). */
    public ConfigurableApplicationContext startTrackerReplica(String clientId, int port) {
        Map<String, Object> p = new LinkedHashMap<>(Map.of("server.port", port, "bootswarm.tracker.peer-token.key-file",
                options.workDirectory().resolve("tracker/peer-token-key.pem").toString()));
        p.putAll(options.trackerProperties());
        return run(TrackerServiceApplication.builder(), databaseProperties(serviceClient(clientId, "viewer", p),
                KafkaUser.TRACKER));
    }

    private Map<String, Object> databaseProperties(Map<String, Object> own, KafkaUser kafkaUser) {
        Map<String, Object> p = new LinkedHashMap<>(own);
        p.put("spring.datasource.url", postgres.jdbcUrl("bootswarm"));
        p.put("spring.datasource.username", postgres.username());
        p.put("spring.datasource.password", postgres.password());
        p.putAll(kafka.springProperties(kafkaUser));
        p.put(ISSUER, auth.issuerUri());
        return p;
    }

    /** {@code own} plus the credentials of the service's client {@code id} with {@code role}. */
    private Map<String, Object> serviceClient(String id, String role, Map<String, Object> own) {
        Map<String, Object> p = new LinkedHashMap<>(own);
        p.putAll(clientProperties(auth.register(id, Set.of(role), null)));
        return p;
    }

    private Map<String, Object> clientProperties(AuthorizationServer.Client client) {
        return Map.of("bootswarm.security.client.id", client.id(),
                "bootswarm.security.client.secret", client.secret(),
                "bootswarm.security.client.token-uri", auth.tokenUri());
    }

    /** The client of agent host {@code name}: role agent, its tokens bound to that host. */
    private AuthorizationServer.Client agentClient(String name) {
        return auth.register("agent-" + name, Set.of("agent"), name);
    }

    private ConfigurableApplicationContext run(SpringApplicationBuilder builder, Map<String, Object> properties) {
        ConfigurableApplicationContext ctx = builder.run(args(properties));
        services.add(ctx);
        return ctx;
    }

    /** As command-line arguments, which win over the services' own configuration files. */
    static String[] args(Map<String, Object> properties) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("spring.main.banner-mode", "off");
        all.putAll(properties);
        return all.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }

    /**
     * Starts a node agent named {@code name} with its data in the work directory.
     *
     * @param overrides extra properties (e.g. a fixed NBD port)
     */
    public Agent startAgent(String name, Map<String, Object> overrides) {
        Path data = options.workDirectory().resolve("agents").resolve(name);
        Map<String, Object> p = new LinkedHashMap<>(agentProperties(name, data));
        p.putAll(overrides);
        ConfigurableApplicationContext ctx = NodeAgentApplication.builder().run(args(p));
        Agent agent = new Agent(name, ctx, "http://127.0.0.1:" + port(ctx), data);
        agents.add(agent);
        return agent;
    }

    /** The properties an agent of this fleet runs with (also for agents started in another process). */
    public Map<String, Object> agentProperties(String name, Path dataDirectory) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server.port", 0);
        p.putAll(kafka.springProperties(KafkaUser.AGENT));
        p.put(ISSUER, auth.issuerUri());
        p.putAll(clientProperties(agentClient(name)));
        p.put("bootswarm.agent.host-name", name);
        p.put("bootswarm.agent.data-directory", dataDirectory.toString());
        p.put("bootswarm.agent.tracker-url", trackerUrl());
        p.put("bootswarm.agent.profile-url", profileUrl());
        p.put("bootswarm.agent.manifest-keys", manifestKey());
        p.put("bootswarm.agent.peer-port", 0);
        p.put("bootswarm.agent.nbd.port", 0);
        p.put("bootswarm.agent.heartbeat-interval", "1s");
        p.put("bootswarm.agent.status-interval", "1s");
        return p;
    }

    /**
     * The settings of an agent that joins this fleet from a process of its own (a second host, or
     * another agent on this machine), as a user is told them: the endpoints of the fleet by their
     * configured ports, and the agent's own ports.
     */
    public Map<String, Object> joinProperties(String name, Path dataDirectory, int apiPort, int peerPort, int nbdPort) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.putAll(kafka.springProperties(KafkaUser.AGENT));
        p.put("spring.kafka.bootstrap-servers", options.kafkaPort() != 0 ? "127.0.0.1:" + options.kafkaPort()
                : kafka.bootstrapServers());
        p.put(ISSUER, auth.issuerUri());
        p.putAll(clientProperties(agentClient(name)));
        p.put("bootswarm.agent.tracker-url", trackerUrl());
        p.put("bootswarm.agent.seed-url", seedUrl());
        p.put("bootswarm.agent.manifest-keys", manifestKey());
        p.put("bootswarm.agent.profile-url", profileUrl());
        p.put("bootswarm.agent.host-name", name);
        p.put("bootswarm.agent.data-directory", dataDirectory.toString());
        p.put("server.port", apiPort);
        p.put("bootswarm.agent.peer-port", peerPort);
        p.put("bootswarm.agent.nbd.port", nbdPort);
        return p;
    }

    /** The fleet's identity provider: a real OAuth2 authorization server with a client per role, service and agent host. */
    public AuthorizationServer auth() {
        return auth;
    }

    /** A client of the fleet's API calling as the {@value #OPERATOR} (admin, orchestrator, viewer). */
    public FleetClient client() {
        return new FleetClient(trackerUrl(), seedUrl(), () -> auth.token(OPERATOR));
    }

    /**
     * Writes every client's id, secret, roles and host with the token endpoint to {@code file}
     * (owner-only), for a user to get tokens with.
     */
    public void writeCredentials(Path file) throws IOException {
        record Credentials(String issuer, String tokenUri, List<AuthorizationServer.Client> clients) {
        }
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, tools.jackson.databind.json.JsonMapper.builder().build().writerWithDefaultPrettyPrinter()
                .writeValueAsString(new Credentials(auth.issuerUri(), auth.tokenUri(), auth.clients())));
    }

    public List<Agent> agents() {
        return List.copyOf(agents);
    }

    public String trackerUrl() {
        return "http://127.0.0.1:" + port(tracker);
    }

    public String seedUrl() {
        return "http://127.0.0.1:" + port(seed);
    }

    /**
     * The seed's manifest signing key (base64 X.509), which this fleet's agents are pinned to; read from
     * the seed at the first call and kept, so that agents can still be started after a test has replaced
     * the fleet's seed with processes of its own on the same storage (and key).
     */
    public String manifestKey() {
        String key = manifestKey;
        if (key == null) {
            key = ManifestSignature.encodePublicKey(seed.getBean(ManifestSigner.class).publicKey());
            manifestKey = key;
        }
        return key;
    }

    public String profileUrl() {
        return "http://127.0.0.1:" + port(profile);
    }

    /** allocator-service's REST base URL (also while it is stopped: the port it had). */
    public String allocatorUrl() {
        return "http://127.0.0.1:" + allocatorBoundPort;
    }

    /** allocator-service's context, or null while it is stopped. */
    public ConfigurableApplicationContext allocator() {
        return allocator;
    }

    public ConfigurableApplicationContext tracker() {
        return tracker;
    }

    public ConfigurableApplicationContext seed() {
        return seed;
    }

    /**
     * Takes the fleet's Kafka broker away (the services keep running and see it gone) until
     * {@link #startKafka()}.
     *
     * @throws UnsupportedOperationException with a broker in a container
     */
    public void stopKafka() {
        kafka.stopBroker();
    }

    /** Brings the broker back on the address, data and credentials it had; returns once it serves. */
    public void startKafka() {
        kafka.startBroker();
    }

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** The settings of a plain Kafka client of this fleet's broker that logs in as {@code user}. */
    public Map<String, Object> kafkaClientProperties(KafkaUser user) {
        return kafka.clientProperties(user);
    }

    public Options options() {
        return options;
    }

    public Path workDirectory() {
        return options.workDirectory();
    }

    static int port(ConfigurableApplicationContext ctx) {
        return ((WebServerApplicationContext) ctx).getWebServer().getPort();
    }

    @Override
    public void close() {
        for (Agent a : agents) {
            closeQuietly(a.context());
        }
        for (int i = services.size() - 1; i >= 0; i--) {
            closeQuietly(services.get(i));
        }
        kafka.close();
        postgres.close();
        auth.close();
    }

    private static void closeQuietly(ConfigurableApplicationContext ctx) {
        try {
            ctx.close();
        } catch (RuntimeException e) {
            log.warn("closing {}: {}", ctx.getId(), e.toString());
        }
    }
}
