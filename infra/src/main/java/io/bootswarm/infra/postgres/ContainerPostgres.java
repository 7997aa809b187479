package io.bootswarm.infra.postgres;

import org.testcontainers.postgresql.PostgreSQLContainer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** PostgreSQL in a container, for machines with a Docker engine. */
public final class ContainerPostgres implements PostgresServer {

    /** The image Testcontainers runs; {@code auto} mode uses containers only when the engine already has it. */
    public static final String IMAGE = "postgres:18-alpine";

    private final PostgreSQLContainer container;

    public ContainerPostgres() {
        container = new PostgreSQLContainer(IMAGE);
        container.start();
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/" + database;
    }

    @Override
    public String username() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public void createDatabase(String database) {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), username(), password())) {
            var rs = c.createStatement().executeQuery("select 1 from pg_database where datname = '" + database + "'");
            if (!rs.next()) {
                c.createStatement().execute("create database " + database);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + database, e);
        }
    }

    @Override
    public void close() {
        container.stop();
    }
}
