package io.bootswarm.infra.postgres;

/** A running PostgreSQL server the fleet's services connect to. */
public interface PostgresServer extends AutoCloseable {

    /** JDBC URL of {@code database} on this server. */
    String jdbcUrl(String database);

    String username();

    String password();

    /** Creates {@code database} unless it exists. */
    void createDatabase(String database);

    @Override
    void close();
}
