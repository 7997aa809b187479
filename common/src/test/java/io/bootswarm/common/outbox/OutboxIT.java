package io.bootswarm.common.outbox;

import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.infra.Infra;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The transactional outbox against a real PostgreSQL and a real Kafka broker (from
 * bootswarm-infra): what a committed transaction writes arrives on Kafka in order, what a rolled
 * back one writes never does, and nothing is lost while Kafka is unreachable.
 */
class OutboxIT {

    private static final OutboxProperties PROPERTIES =
            new OutboxProperties(true, Duration.ofMillis(100), 7, Duration.ofSeconds(10), Duration.ofDays(1));

    private final Infra infra = Infra.shared();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ManualClock clock = new ManualClock();
    private JdbcTemplate jdbc;
    private TransactionTemplate tx;
    private String topic;
    private UUID launch;

    @BeforeEach
    void setUp() {
        DriverManagerDataSource ds = new DriverManagerDataSource(infra.newDatabase("outbox"),
                infra.postgres().username(), infra.postgres().password());
        jdbc = new JdbcTemplate(ds);
        // the services' own definition of the table (their Flyway location db/outbox), run as a plain script
        new ResourceDatabasePopulator(new ClassPathResource("db/outbox/R__outbox.sql")).execute(ds);
        tx = new TransactionTemplate(new DataSourceTransactionManager(ds));
        topic = "outbox-it-" + UUID.randomUUID();
        launch = UUID.randomUUID();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    /** A producer as the broker's admin: the test topics are new ones, which services may not create. */
    private KafkaTemplate<String, String> kafka(String bootstrap) {
        Map<String, Object> config = new HashMap<>(infra.kafka().clientProperties(KafkaUser.ADMIN));
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 300);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2000);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        DefaultKafkaProducerFactory<String, String> factory =
                new DefaultKafkaProducerFactory<>(config, new StringSerializer(), new StringSerializer());
        closeables.add(factory::destroy);
        return new KafkaTemplate<>(factory);
    }

    private OutboxRelay relay(String bootstrap) {
        OutboxRelay relay = new OutboxRelay(jdbc, tx, kafka(bootstrap), PROPERTIES, meters, clock);
        closeables.add(relay);
        return relay.start();
    }

    private LaunchStatus event(long sequence) {
        return new LaunchStatus(UUID.randomUUID(), Instant.now(), launch, "host-1", LaunchStatus.State.PREPARING,
                sequence, null, null, (int) sequence, 1000, sequence * 1000, null);
    }

    private void publishCommitted(Outbox outbox, long from, long to) {
        tx.executeWithoutResult(status -> {
            for (long s = from; s < to; s++) {
                outbox.publish(topic, event(s));
            }
        });
    }

    /**
     * Reads {@code topic} from the start until {@code expected} records came (failing after
     * {@code within}); a test that needs to know nothing more came publishes a marker after and reads up to it.
     */
    private List<ConsumerRecord<String, String>> consume(int expected, Duration within) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        Map<String, Object> config = new HashMap<>(infra.kafka().clientProperties(KafkaUser.ADMIN));
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "outbox-it-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config,
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            Awaitility.await(expected + " records on " + topic).atMost(within).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ZERO).until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                        return got.size() >= expected;
                    });
        }
        return got;
    }

    private double failedRounds() {
        return meters.counter("bootswarm.outbox.failed").count();
    }

    private static List<Long> sequences(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(r -> EventCodec.decode(r.value()).orElseThrow())
                .map(e -> ((LaunchStatus) e).sequence()).toList();
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    private int unpublishedRows() {
        return jdbc.queryForObject("select count(*) from outbox where published_at is null", Integer.class);
    }

    private int rows() {
        return jdbc.queryForObject("select count(*) from outbox", Integer.class);
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(30)).until(condition::getAsBoolean);
    }

    @Test
    void committedEventsArriveInOrderAndRowsAreMarkedPublished() throws Exception {
        OutboxRelay relay = relay(infra.kafka().bootstrapServers());
        Outbox outbox = new Outbox(jdbc, relay);
        // several transactions, several batches (batch size 7)
        publishCommitted(outbox, 0, 20);
        publishCommitted(outbox, 20, 21);
        publishCommitted(outbox, 21, 50);

        List<ConsumerRecord<String, String>> got = consume(50, Duration.ofSeconds(30));
        assertThat(sequences(got)).containsExactlyElementsOf(range(0, 50));
        for (ConsumerRecord<String, String> r : got) {
            assertThat(r.key()).isEqualTo(launch.toString());
            BootswarmEvent e = EventCodec.decode(r.value()).orElseThrow();
            assertThat(e).isInstanceOf(LaunchStatus.class);
            assertThat(r.value()).contains("\"type\":\"launch-status.v1\"");
        }
        await("rows marked published", () -> unpublishedRows() == 0);
        assertThat(rows()).isEqualTo(50);
        assertThat(jdbc.queryForObject("select count(*) from outbox where published_at >= created_at", Integer.class))
                .isEqualTo(50);
        // nothing is sent twice once marked: after a few more rounds of the relay, a marker event comes
        // right after the 50
        long rounds = relay.rounds();
        await("three more relay rounds", () -> relay.rounds() >= rounds + 3);
        publishCommitted(outbox, 50, 51);
        assertThat(sequences(consume(51, Duration.ofSeconds(30)))).containsExactlyElementsOf(range(0, 51));
    }

    @Test
    void rolledBackTransactionsSendNothing() throws Exception {
        OutboxRelay relay = relay(infra.kafka().bootstrapServers());
        Outbox outbox = new Outbox(jdbc, relay);
        tx.executeWithoutResult(status -> {
            for (long s = 1000; s < 1010; s++) {
                outbox.publish(topic, event(s));
            }
            status.setRollbackOnly();
        });
        assertThatThrownBy(() -> tx.executeWithoutResult(status -> {
            outbox.publish(topic, event(2000));
            throw new IllegalStateException("the state change failed");
        })).hasMessageContaining("state change failed");
        assertThat(rows()).isZero();
        // a committed marker after them: when it arrives, nothing else has
        publishCommitted(outbox, 0, 1);
        List<ConsumerRecord<String, String>> got = consume(1, Duration.ofSeconds(30));
        assertThat(sequences(got)).containsExactly(0L);
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void publishingOutsideATransactionIsRefused() {
        OutboxRelay relay = relay(infra.kafka().bootstrapServers());
        Outbox outbox = new Outbox(jdbc, relay);
        assertThatThrownBy(() -> outbox.publish(topic, event(1))).isInstanceOf(IllegalStateException.class);
        assertThat(rows()).isZero();
    }

    @Test
    void nothingIsLostWhileKafkaIsUnreachable() throws Exception {
        // nothing listens on this port: the relay cannot reach a broker
        OutboxRelay unreachable = relay("127.0.0.1:" + freePort());
        Outbox outbox = new Outbox(jdbc, unreachable);
        publishCommitted(outbox, 0, 10);
        publishCommitted(outbox, 10, 15);
        await("several failed batches", () -> failedRounds() >= 3);
        assertThat(unpublishedRows()).isEqualTo(15);
        assertThat(unreachable.failure()).as("why the relay cannot send").hasValueSatisfying(f -> {
            assertThat(f.since()).isNotNull();
            assertThat(f.error()).isNotBlank();
        });
        unreachable.close();
        unreachable.close(); // twice is harmless

        OutboxRelay good = relay(infra.kafka().bootstrapServers());
        List<ConsumerRecord<String, String>> got = consume(15, Duration.ofSeconds(30));
        assertThat(sequences(got)).containsExactlyElementsOf(range(0, 15));
        await("rows marked published", () -> unpublishedRows() == 0);
        assertThat(good.failure()).isEmpty();
        // new events flow through the good relay as before
        publishCommitted(new Outbox(jdbc, good), 15, 20);
        assertThat(sequences(consume(20, Duration.ofSeconds(30)))).containsExactlyElementsOf(range(0, 20));
    }

    /**
     * Services of a fleet may share one database, each with its outbox in its own schema: a relay stuck in a
     * send (its broker accepts connections and never answers) must not hold up another service's relay.
     */
    @Test
    void aStuckRelayDoesNotHoldUpTheRelayOfAnotherSchema() throws Exception {
        String url = infra.newDatabase("outbox_schemas");
        try (var tarpit = new java.net.ServerSocket(0)) {
            List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(tarpit.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            Map<String, Object> stuckConfig = new HashMap<>(infra.kafka().clientProperties(KafkaUser.ADMIN));
            stuckConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + tarpit.getLocalPort());
            stuckConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
            DefaultKafkaProducerFactory<String, String> stuckFactory =
                    new DefaultKafkaProducerFactory<>(stuckConfig, new StringSerializer(), new StringSerializer());
            closeables.add(stuckFactory::destroy);
            OutboxRelay stuck = schemaRelay(url, "svc_stuck", new KafkaTemplate<>(stuckFactory));
            JdbcTemplate stuckJdbc = schemaJdbc(url, "svc_stuck");
            new TransactionTemplate(new DataSourceTransactionManager(stuckJdbc.getDataSource()))
                    .executeWithoutResult(status -> new Outbox(stuckJdbc, stuck).publish(topic, event(99)));
            await("the stuck relay sending", () -> !held.isEmpty());

            JdbcTemplate okJdbc = schemaJdbc(url, "svc_ok");
            OutboxRelay ok = schemaRelay(url, "svc_ok", kafka(infra.kafka().bootstrapServers()));
            new TransactionTemplate(new DataSourceTransactionManager(okJdbc.getDataSource()))
                    .executeWithoutResult(status -> {
                        for (long i = 0; i < 5; i++) {
                            new Outbox(okJdbc, ok).publish(topic, event(i));
                        }
                    });
            assertThat(sequences(consume(5, Duration.ofSeconds(20)))).containsExactlyElementsOf(range(0, 5));
            tarpit.close();
            acceptor.join(Duration.ofSeconds(5));
            for (java.net.Socket h : held) {
                h.close();
            }
        }
    }

    /** A JdbcTemplate on {@code url} working in {@code schema}, which gets the outbox table if it has none. */
    private static JdbcTemplate schemaJdbc(String url, String schema) {
        DriverManagerDataSource ds = new DriverManagerDataSource(url + (url.contains("?") ? "&" : "?")
                + "currentSchema=" + schema, Infra.shared().postgres().username(), Infra.shared().postgres().password());
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        jdbc.execute("create schema if not exists " + schema);
        new ResourceDatabasePopulator(new ClassPathResource("db/outbox/R__outbox.sql")).execute(ds);
        return jdbc;
    }

    private OutboxRelay schemaRelay(String url, String schema, KafkaTemplate<String, String> kafka) {
        JdbcTemplate jdbc = schemaJdbc(url, schema);
        OutboxRelay relay = new OutboxRelay(jdbc, new TransactionTemplate(new DataSourceTransactionManager(
                jdbc.getDataSource())), kafka, PROPERTIES, meters, clock);
        closeables.add(relay);
        return relay.start();
    }

    @Test
    void twoRelaysOnOneDatabaseKeepTheOrder() throws Exception {
        // two instances of a service relay the same outbox side by side
        OutboxRelay a = relay(infra.kafka().bootstrapServers());
        OutboxRelay b = relay(infra.kafka().bootstrapServers());
        Outbox viaA = new Outbox(jdbc, a);
        Outbox viaB = new Outbox(jdbc, b);
        for (int i = 0; i < 30; i++) {
            publishCommitted(i % 2 == 0 ? viaA : viaB, i * 10L, i * 10L + 10);
        }
        List<ConsumerRecord<String, String>> got = consume(300, Duration.ofSeconds(60));
        assertThat(sequences(got)).containsExactlyElementsOf(range(0, 300));
    }

    @Test
    void autoConfigurationWiresTheOutboxWhenEnabled() throws Exception {
        DriverManagerDataSource ds = (DriverManagerDataSource) jdbc.getDataSource();
        KafkaTemplate<String, String> template = kafka(infra.kafka().bootstrapServers());
        ApplicationContextRunner runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(OutboxAutoConfiguration.class))
                .withBean(JdbcTemplate.class, () -> jdbc)
                .withBean(PlatformTransactionManager.class, () -> new DataSourceTransactionManager(ds))
                .withBean(KafkaTemplate.class, () -> template)
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new);
        runner.run(context -> assertThat(context).doesNotHaveBean(Outbox.class).doesNotHaveBean(OutboxRelay.class));
        runner.withPropertyValues("bootswarm.outbox.enabled=true", "bootswarm.outbox.poll-interval=50ms",
                "bootswarm.outbox.batch-size=3").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Outbox.class).hasSingleBean(OutboxRelay.class);
            OutboxProperties p = context.getBean(OutboxProperties.class);
            assertThat(p.pollInterval()).isEqualTo(Duration.ofMillis(50));
            assertThat(p.batchSize()).isEqualTo(3);
            assertThat(p.sendTimeout()).isEqualTo(Duration.ofSeconds(30));
            Outbox outbox = context.getBean(Outbox.class);
            publishCommitted(outbox, 0, 10);
            assertThat(sequences(consume(10, Duration.ofSeconds(30)))).containsExactlyElementsOf(range(0, 10));
            await("rows marked published", () -> unpublishedRows() == 0);
            assertThat(context.getBean(MeterRegistry.class).counter("bootswarm.outbox.published").count())
                    .isEqualTo(10.0);
        });
        // a service without a meter registry bean still starts
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(OutboxAutoConfiguration.class))
                .withBean(JdbcTemplate.class, () -> jdbc)
                .withBean(PlatformTransactionManager.class, () -> new DataSourceTransactionManager(ds))
                .withBean(KafkaTemplate.class, () -> template)
                .withPropertyValues("bootswarm.outbox.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Outbox.class));
    }

    private static int freePort() throws Exception {
        try (var s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
