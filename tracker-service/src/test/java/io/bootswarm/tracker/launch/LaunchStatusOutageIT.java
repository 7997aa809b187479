package io.bootswarm.tracker.launch;

import com.zaxxer.hikari.HikariDataSource;
import io.bootswarm.common.events.LaunchStatus.State;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

import static io.bootswarm.tracker.launch.KafkaProbe.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An agent's READY reaches Kafka while the tracker's PostgreSQL refuses every connection: the tracker keeps
 * retrying it (more attempts than it used to make before skipping a record), and once PostgreSQL takes
 * connections again the launch ends READY. The outage is real: the tracker's database stops accepting
 * connections and its open ones are terminated.
 */
class LaunchStatusOutageIT extends TrackerITSupport {

    /** The attempts the tracker made before it skipped a record, whatever the failure. */
    private static final int OLD_ATTEMPTS = 6;

    @Autowired
    MeterRegistry meters;

    @Autowired
    DataSource dataSource;

    private KafkaProbe kafka;

    @BeforeEach
    void kafka() {
        kafka = new KafkaProbe(INFRA.kafka());
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    private double failedAttempts() {
        return meters.counter("bootswarm.tracker.launch.status", "outcome", "failed").count();
    }

    @Test
    void aReadySentWhilePostgresqlIsDownIsAppliedWhenItIsBack() throws Exception {
        String host = hostName("pg");
        String body = """
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(SEED.addImage("outage", 1 << 20), host);
        Response created = await().atMost(Duration.ofSeconds(60)).until(() -> {
            registerHost(host);
            return post("/api/v1/launches", body);
        }, r -> r.status() != 503);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        UUID id = uuid(created.json("$.id"));
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.queryForObject(
                "select count(*) from tracker.outbox where published_at is null and payload like ?", Long.class,
                "%" + id + "%") == 0);
        String nbd = "nbd://127.0.0.1:10809/" + id;
        double failedBefore = failedAttempts();

        HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
        long connectionTimeout = pool.getHikariConfigMXBean().getConnectionTimeout();
        pool.getHikariConfigMXBean().setConnectionTimeout(500); // each attempt fails in 0.5 s, not 30
        String database = DATABASE.substring(DATABASE.lastIndexOf('/') + 1).replaceFirst("\\?.*", "");
        try (Connection admin = DriverManager.getConnection(DATABASE.replace("/" + database, "/postgres"),
                INFRA.postgres().username(), INFRA.postgres().password())) {
            try {
                refuseConnections(admin, database);
                kafka.send(status(id, host, State.READY, 1, nbd, null, 0, 10, 0, null));

                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                        .until(() -> failedAttempts() >= failedBefore + OLD_ATTEMPTS + 2);
            } finally {
                try (Statement s = admin.createStatement()) {
                    s.execute("alter database \"" + database + "\" allow_connections true");
                }
                pool.getHikariConfigMXBean().setConnectionTimeout(connectionTimeout);
            }
        }

        // the pool takes its restored connection timeout at its next housekeeping run (TrackerITSupport): until then
        // a read that finds no connection within 0.5 s of PostgreSQL coming back is answered 500, and polled again
        Response ready = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> get("/api/v1/launches/" + id),
                        r -> r.status() == 200 && "READY".equals(r.json("$.state")));
        assertThat(ready.<String>json("$.hosts[0].nbdUri")).isEqualTo(nbd);
    }

    private static void refuseConnections(Connection admin, String database) throws SQLException {
        try (Statement s = admin.createStatement()) {
            s.execute("alter database \"" + database + "\" allow_connections false");
            s.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + database
                    + "' and pid <> pg_backend_pid()");
        }
    }
}
