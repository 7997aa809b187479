package io.bootswarm.infra.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka broker in KRaft mode (no ZooKeeper) running inside this JVM, from Apache Kafka's
 * own test kit as Spring Kafka packages it, secured as a deployment is: every listener speaks
 * SASL_PLAINTEXT, the services log in with SCRAM-SHA-512 as their own principal, the broker and the
 * admin with PLAIN as the super user, and the {@link KafkaAcls} are enforced by the KRaft
 * {@code StandardAuthorizer} (nothing is allowed without an ACL). Users, passwords (random, new for
 * each start), ACLs and the bootswarm topics ({@code partitions} partitions each) are set up before
 * {@link #start} returns.
 *
 * <p>{@link #stopBroker()} and {@link #startBroker()} take the broker away and bring it back as a
 * restarted broker process comes back: on the same port, with the same log directory (topics,
 * records and committed offsets survive) and the same users, passwords and ACLs, which the KRaft
 * controller of this JVM keeps in its metadata log meanwhile.
 */
public final class EmbeddedKafka implements KafkaServer {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final String FIXED_LISTENER = "FIXED";
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

    private final EmbeddedKafkaKraftBroker broker;
    private final int fixedPort;
    private final Map<KafkaUser, KafkaCredentials> credentials;
    private boolean closed;
    private boolean stopped;

    private EmbeddedKafka(EmbeddedKafkaKraftBroker broker, int fixedPort, Map<KafkaUser, KafkaCredentials> credentials) {
        this.broker = broker;
        this.fixedPort = fixedPort;
        this.credentials = credentials;
    }

    /**
     * @param port TCP port for the broker's listener, 0 for a free one
     */
    public static EmbeddedKafka start(int port, int partitions) {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, partitions);
        Map<String, String> properties = new HashMap<>(Map.of(
                "auto.create.topics.enable", "true",
                "num.partitions", Integer.toString(partitions),
                "offsets.topic.replication.factor", "1",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "group.initial.rebalance.delay.ms", "0",
                // a broker started again registers anew once the controller has let its last session go
                "broker.heartbeat.interval.ms", "500",
                "broker.session.timeout.ms", "3000"));
        Map<KafkaUser, KafkaCredentials> credentials = ClusterSetup.newCredentials();
        properties.putAll(security(credentials.get(KafkaUser.ADMIN), port != 0));
        if (port != 0) {
            // The KRaft test kit binds its own listeners to sockets it pre-binds on free ports (and
            // EmbeddedKafkaKraftBroker.kafkaPorts(...) is ignored), so a third listener of ours takes the
            // fixed port; a client that bootstraps there is handed the same address in metadata.
            properties.put("listeners", "EXTERNAL://localhost:0,CONTROLLER://localhost:0,"
                    + FIXED_LISTENER + "://127.0.0.1:" + port);
        }
        broker.brokerProperties(properties);
        broker.afterPropertiesSet();
        EmbeddedKafka kafka = new EmbeddedKafka(broker, port, credentials);
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "embedded-kafka-stop"));
        try {
            ClusterSetup.apply(kafka.bootstrapServers(), credentials);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    /**
     * SASL on every listener: SCRAM-SHA-512 (the services) and PLAIN (the admin, whose password the
     * broker holds in its own configuration, so it needs no user records before it starts: the
     * controller listener and broker-to-controller traffic use it).
     */
    private static Map<String, String> security(KafkaCredentials admin, boolean fixedListener) {
        String plainServer = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + KafkaCredentials.escape(admin.username()) + "\" password=\"" + KafkaCredentials.escape(admin.password())
                + "\" user_" + admin.username() + "=\"" + KafkaCredentials.escape(admin.password()) + "\";";
        String scramServer = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
        Map<String, String> p = new HashMap<>();
        p.put("listener.security.protocol.map", "EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
                + (fixedListener ? "," + FIXED_LISTENER + ":SASL_PLAINTEXT" : ""));
        p.put("sasl.enabled.mechanisms", KafkaCredentials.SCRAM + "," + KafkaCredentials.PLAIN);
        p.put("sasl.mechanism.inter.broker.protocol", KafkaCredentials.PLAIN);
        p.put("sasl.mechanism.controller.protocol", KafkaCredentials.PLAIN);
        p.put("listener.name.controller.sasl.enabled.mechanisms", KafkaCredentials.PLAIN);
        p.put("listener.name.controller.plain.sasl.jaas.config", plainServer);
        for (String listener : fixedListener ? new String[] {"external", FIXED_LISTENER.toLowerCase(Locale.ROOT)}
                : new String[] {"external"}) {
            p.put("listener.name." + listener + ".plain.sasl.jaas.config", plainServer);
            p.put("listener.name." + listener + ".scram-sha-512.sasl.jaas.config", scramServer);
        }
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("allow.everyone.if.no.acl.found", "false");
        p.put("super.users", "User:" + admin.username());
        return p;
    }

    @Override
    public String bootstrapServers() {
        return fixedPort != 0 ? "127.0.0.1:" + fixedPort : broker.getBrokersAsString();
    }

    @Override
    public KafkaCredentials credentials(KafkaUser user) {
        return credentials.get(user);
    }

    /**
     * Stops the broker (its listeners close, clients see connections refused) and keeps its log
     * directory and the cluster's metadata for {@link #startBroker()}.
     *
     * @throws IllegalStateException when it is stopped already or closed
     */
    @Override
    public synchronized void stopBroker() {
        if (closed || stopped) {
            throw new IllegalStateException(closed ? "the embedded Kafka is closed" : "the broker is stopped already");
        }
        long t0 = System.nanoTime();
        for (var b : broker.getCluster().brokers().values()) {
            b.shutdown();
            b.awaitShutdown();
        }
        stopped = true;
        log.info("kafka broker stopped in {} ms ({} kept)", (System.nanoTime() - t0) / 1_000_000, bootstrapServers());
    }

    /**
     * Starts the broker {@link #stopBroker()} stopped, on the same port and log directory, and returns
     * once it serves its clients again with the credentials it had.
     *
     * @throws IllegalStateException when it is running or closed, or does not serve within a minute
     */
    @Override
    public synchronized void startBroker() {
        if (closed || !stopped) {
            throw new IllegalStateException(closed ? "the embedded Kafka is closed" : "the broker is running");
        }
        long t0 = System.nanoTime();
        for (var b : broker.getCluster().brokers().values()) {
            b.startup();
        }
        stopped = false;
        awaitServing();
        log.info("kafka broker started again in {} ms at {}", (System.nanoTime() - t0) / 1_000_000, bootstrapServers());
    }

    /** Waits until the admin, logging in on the clients' listener, sees the broker in the cluster. */
    private void awaitServing() {
        Map<String, Object> config = new HashMap<>(credentials.get(KafkaUser.ADMIN).clientProperties());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) RESTART_TIMEOUT.toMillis());
        try (Admin admin = Admin.create(config)) {
            KafkaFuture<?> nodes = admin.describeCluster().nodes();
            nodes.get(RESTART_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("the restarted Kafka broker does not serve: " + e, e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            broker.destroy();
        }
    }
}
