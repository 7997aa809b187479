package io.bootswarm.infra;

import io.bootswarm.auth.AuthorizationServer;
import io.bootswarm.infra.kafka.ContainerKafka;
import io.bootswarm.infra.kafka.EmbeddedKafka;
import io.bootswarm.infra.kafka.KafkaServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.postgres.ContainerPostgres;
import io.bootswarm.infra.postgres.EmbeddedPostgres;
import io.bootswarm.infra.postgres.PostgresServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Starts the fleet's PostgreSQL and Kafka. Which kind is chosen by the system property
 * {@code bootswarm.infra} (or the environment variable {@code BOOTSWARM_INFRA}):
 * {@code embedded} (binaries from Maven Central, broker in the JVM), {@code containers}
 * (Testcontainers), or {@code auto} (the default: containers when a Docker engine answers and
 * already holds both images, embedded otherwise: an engine that cannot pull, as where no container
 * registry is reachable, must not turn a test run into pull failures).
 *
 * <p>{@link #shared()} gives tests one server of each per JVM and a fresh database per caller.
 */
public final class Infra {

    private static final Logger log = LoggerFactory.getLogger(Infra.class);

    public enum Mode { EMBEDDED, CONTAINERS, AUTO }

    private static Infra shared;

    private final PostgresServer postgres;
    private final KafkaServer kafka;
    private final AuthorizationServer auth;

    private Infra(PostgresServer postgres, KafkaServer kafka, AuthorizationServer auth) {
        this.auth = auth;
        this.postgres = postgres;
        this.kafka = kafka;
    }

    public static Mode configuredMode() {
        String v = System.getProperty("bootswarm.infra", System.getenv().getOrDefault("BOOTSWARM_INFRA", "auto"));
        return Mode.valueOf(v.trim().toUpperCase(Locale.ROOT));
    }

    /** The mode to use: {@link #configuredMode()} with {@code auto} resolved. */
    public static Mode effectiveMode() {
        Mode m = configuredMode();
        if (m != Mode.AUTO) {
            return m;
        }
        return dockerAvailable() ? Mode.CONTAINERS : Mode.EMBEDDED;
    }

    private static boolean dockerAvailable() {
        boolean socket = Files.exists(Path.of("/var/run/docker.sock")) || System.getenv("DOCKER_HOST") != null;
        if (!socket) {
            return false;
        }
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return false;
            }
            for (String image : List.of(ContainerPostgres.IMAGE, ContainerKafka.IMAGE)) {
                try {
                    DockerClientFactory.instance().client().inspectImageCmd(image).exec();
                } catch (RuntimeException missing) {
                    log.info("Docker engine found but image {} is not present locally: embedded infrastructure", image);
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Starts a PostgreSQL server.
     *
     * @param dataDirectory where an embedded server keeps its cluster (ignored for containers)
     * @param port          embedded server port, 0 for any
     * @param durable       keep fsync on (the local fleet) or not (tests)
     */
    public static PostgresServer postgres(Mode mode, Path dataDirectory, int port, boolean durable) {
        return mode == Mode.CONTAINERS ? new ContainerPostgres()
                : EmbeddedPostgres.start(new EmbeddedPostgres.Settings(dataDirectory, port, durable));
    }

    /** Starts a Kafka broker; {@code port} applies to the embedded broker (0 for any). */
    public static KafkaServer kafka(Mode mode, int port) {
        return mode == Mode.CONTAINERS ? new ContainerKafka() : EmbeddedKafka.start(port, 4);
    }

    /**
     * One PostgreSQL and one Kafka for this JVM, started on first use, stopped by {@link #stopShared()}
     * (at the end of a test session, after the Spring contexts) or else at exit.
     */
    public static synchronized Infra shared() {
        if (shared == null) {
            Mode mode = effectiveMode();
            log.info("starting shared test infrastructure ({})", mode);
            try {
                Path dir = Files.createTempDirectory("bootswarm-pg-");
                shared = new Infra(postgres(mode, dir.resolve("data"), 0, false), kafka(mode, 0),
                        AuthorizationServer.start("127.0.0.1", 0, null));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Stops what {@link #shared()} started, if anything; a later {@link #shared()} starts anew. */
    public static synchronized void stopShared() {
        if (shared != null) {
            Infra stopping = shared;
            shared = null;
            log.info("stopping shared test infrastructure");
            stopping.auth.close();
            stopping.kafka.close();
            stopping.postgres.close();
        }
    }

    public PostgresServer postgres() {
        return postgres;
    }

    public KafkaServer kafka() {
        return kafka;
    }

    /** The identity provider of the tests: a real OAuth2 authorization server. */
    public AuthorizationServer auth() {
        return auth;
    }

    /**
     * The properties that make a service call the others as client {@code id} with these roles
     * (registered at {@link #auth()} if new), host-bound when {@code host} is not null.
     */
    public Map<String, String> clientProperties(String id, Set<String> roles, String host) {
        AuthorizationServer.Client c = auth.register(id, roles, host);
        return Map.of("bootswarm.security.client.id", c.id(),
                "bootswarm.security.client.secret", c.secret(),
                "bootswarm.security.client.token-uri", auth.tokenUri());
    }

    /**
     * The Spring Boot properties that point a service at {@code jdbcUrl} (a database of this
     * PostgreSQL), at this Kafka, where it logs in as {@code kafkaUser}, and at this authorization
     * server as the issuer of the tokens it accepts.
     */
    public Map<String, String> springProperties(String jdbcUrl, KafkaUser kafkaUser) {
        Map<String, String> p = new HashMap<>(kafka.springProperties(kafkaUser));
        p.put("spring.security.oauth2.resourceserver.jwt.issuer-uri", auth.issuerUri());
        p.put("spring.datasource.url", jdbcUrl);
        p.put("spring.datasource.username", postgres.username());
        p.put("spring.datasource.password", postgres.password());
        return Map.copyOf(p);
    }

    /** Creates a database no one else uses and returns its JDBC URL. */
    public String newDatabase(String prefix) {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        postgres.createDatabase(name);
        return postgres.jdbcUrl(name);
    }
}
