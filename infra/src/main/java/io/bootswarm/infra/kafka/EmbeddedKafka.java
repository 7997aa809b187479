package io.bootswarm.infra.kafka;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A real Kafka broker in KRaft mode (no ZooKeeper) running inside this JVM, from Apache Kafka's
 * own test kit as Spring Kafka packages it, secured as a deployment is: every listener speaks
 * SASL_PLAINTEXT, the services log in with SCRAM-SHA-512 as their own principal, the broker and the
 * admin with PLAIN as the super user, and the {@link KafkaAcls} are enforced by the KRaft
 * {@code StandardAuthorizer} (nothing is allowed without an ACL). Users, passwords (random, new for
 * each start), ACLs and the bootswarm topics ({@code partitions} partitions each) are set up before
 * {@link #start} returns.
 */
public final class EmbeddedKafka implements KafkaServer {

    private static final String FIXED_LISTENER = "FIXED";

    private final EmbeddedKafkaKraftBroker broker;
    private final int fixedPort;
    private final Map<KafkaUser, KafkaCredentials> credentials;
    private boolean closed;

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
                "group.initial.rebalance.delay.ms", "0"));
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

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            broker.destroy();
        }
    }
}
