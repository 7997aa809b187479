package io.bootswarm.fleet;

import io.bootswarm.infra.Infra;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbox table is defined once ({@code classpath:db/outbox/R__outbox.sql} in bootswarm-common), and
 * every service that publishes events runs it after its own migrations. Their V1 migrations created the
 * table before, and tracker's without a default for {@code created_at}; those files are applied in
 * existing databases (compose volumes) and stay as they are. Here, for each such service and with the
 * Flyway locations its own configuration file names: a database migrated before the change (the
 * service's own location only, as it was configured then, with a row written the way the code wrote it
 * then) and then with the new set ends with the same outbox table (columns, types, nullability,
 * defaults, indexes) as a fresh database migrated with the new set at once; and both take an insert that
 * leaves {@code created_at} to the default.
 */
class OutboxMigrationIT {

    private static final Infra INFRA = Infra.shared();

    @ParameterizedTest
    @ValueSource(strings = {"seed", "tracker", "allocator"})
    void anExistingAndAFreshDatabaseEndWithTheSameOutbox(String service) {
        String[] locations = configuredLocations(service);
        assertThat(locations).as("%s-service.yml's spring.flyway.locations", service)
                .contains("classpath:db/migration/" + service, "classpath:db/outbox");

        JdbcTemplate existing = database(service + "_outbox_existing");
        flyway(existing, service, "classpath:db/migration/" + service).migrate();
        existing.update("insert into " + service + ".outbox (topic, message_key, payload, created_at) "
                + "values ('t', 'k', '{}', now())");
        flyway(existing, service, locations).migrate();

        JdbcTemplate fresh = database(service + "_outbox_fresh");
        flyway(fresh, service, locations).migrate();

        List<String> expected = List.of(
                "id bigint NO nextval('" + service + ".outbox_id_seq'::regclass)",
                "topic text NO null",
                "message_key text YES null",
                "payload text NO null",
                "created_at timestamp with time zone NO now()",
                "published_at timestamp with time zone YES null");
        assertThat(columns(fresh, service)).as("fresh").containsExactlyElementsOf(expected);
        assertThat(columns(existing, service)).as("existing").containsExactlyElementsOf(expected);
        assertThat(indexes(existing, service)).as("indexes").isEqualTo(indexes(fresh, service));
        assertThat(indexes(fresh, service)).hasSize(2)
                .anySatisfy(d -> assertThat(d).startsWith("outbox_pkey: CREATE UNIQUE INDEX"))
                .anySatisfy(d -> assertThat(d).startsWith("outbox_unpublished: CREATE INDEX")
                        .endsWith("WHERE (published_at IS NULL)"));

        for (JdbcTemplate db : List.of(existing, fresh)) {
            db.update("insert into " + service + ".outbox (topic, message_key, payload) values ('t', 'k', '{}')");
            assertThat(db.queryForObject("select count(*) from " + service + ".outbox where created_at is null",
                    Integer.class)).isZero();
        }
        assertThat(existing.queryForObject("select count(*) from " + service + ".outbox", Integer.class))
                .as("the row written before the change is kept").isEqualTo(2);

        // a later start finds nothing to do, in either
        assertThat(flyway(existing, service, locations).migrate().migrationsExecuted).isZero();
        assertThat(flyway(fresh, service, locations).migrate().migrationsExecuted).isZero();
    }

    private static String[] configuredLocations(String service) {
        YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
        yaml.setResources(new ClassPathResource(service + "-service.yml"));
        Properties p = yaml.getObject();
        String locations = p.getProperty("spring.flyway.locations");
        assertThat(locations).as("spring.flyway.locations of %s-service", service).isNotNull();
        return Arrays.stream(locations.split(",")).map(String::trim).toArray(String[]::new);
    }

    private static JdbcTemplate database(String name) {
        return new JdbcTemplate(new DriverManagerDataSource(INFRA.newDatabase(name), INFRA.postgres().username(),
                INFRA.postgres().password()));
    }

    private static Flyway flyway(JdbcTemplate db, String schema, String... locations) {
        return Flyway.configure().dataSource(db.getDataSource()).schemas(schema).defaultSchema(schema)
                .createSchemas(true).locations(locations).load();
    }

    private static List<String> columns(JdbcTemplate db, String schema) {
        return db.query("select column_name, data_type, is_nullable, column_default from information_schema.columns "
                        + "where table_schema = ? and table_name = 'outbox' order by ordinal_position",
                (rs, n) -> rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4),
                schema);
    }

    private static List<String> indexes(JdbcTemplate db, String schema) {
        return db.query("select indexname, indexdef from pg_indexes where schemaname = ? and tablename = 'outbox' "
                        + "order by indexname", (rs, n) -> rs.getString(1) + ": " + rs.getString(2), schema);
    }
}
