package io.bootswarm.infra.junit;

import io.bootswarm.infra.Infra;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.core.LauncherFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * A test session of its own, run through the JUnit launcher, whose Spring test uses the shared
 * PostgreSQL: when the session ends, the test's context is closed while PostgreSQL still answers,
 * and then PostgreSQL is stopped.
 */
class CloseContextsAtSessionEndIT {

    private static volatile String database;
    private static volatile String user;
    private static volatile String password;
    private static final List<String> closed = new CopyOnWriteArrayList<>();

    /** The test inside the session; its context notes, when it closes, whether PostgreSQL answers. */
    @SpringJUnitConfig(UsesPostgres.Config.class)
    static class UsesPostgres {

        static volatile ConfigurableApplicationContext used;

        @Configuration(proxyBeanMethods = false)
        static class Config {
            @Bean
            DisposableBean postgresWatcher() {
                return () -> closed.add(answers(database) ? "closed while PostgreSQL answers" : "closed too late");
            }
        }

        @Autowired
        ConfigurableApplicationContext context;

        @Test
        void usesItsContext() {
            used = context;
        }
    }

    @Test
    void theContextClosesBeforeTheSharedPostgresStops() {
        Infra infra = Infra.shared();
        database = infra.newDatabase("session");
        user = infra.postgres().username();
        password = infra.postgres().password();
        assertThat(answers(database)).isTrue();

        try (LauncherSession session = LauncherFactory.openSession()) {
            session.getLauncher().execute(request().selectors(selectClass(UsesPostgres.class)).build());
            assertThat(UsesPostgres.used).isNotNull();
            assertThat(UsesPostgres.used.isActive()).as("cached by Spring until the session ends").isTrue();
            assertThat(closed).isEmpty();
        }

        assertThat(UsesPostgres.used.isActive()).isFalse();
        assertThat(closed).containsExactly("closed while PostgreSQL answers");
        assertThat(answers(database)).as("stopped after the contexts").isFalse();
    }

    private static boolean answers(String jdbcUrl) {
        try (Connection c = DriverManager.getConnection(jdbcUrl + "?connectTimeout=2&loginTimeout=2", user,
                password)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }
}
