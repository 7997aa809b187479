package io.bootswarm.infra.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Sets a fresh broker up as the admin: the bootswarm topics, one SCRAM user per service and the
 * ACLs of {@link KafkaAcls}; returns once the broker applies them all.
 */
final class ClusterSetup {

    private static final Logger log = LoggerFactory.getLogger(ClusterSetup.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int SCRAM_ITERATIONS = 4096;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private ClusterSetup() {
    }

    /** New random passwords for every user: the admin logs in with PLAIN, the services with SCRAM. */
    static Map<KafkaUser, KafkaCredentials> newCredentials() {
        Map<KafkaUser, KafkaCredentials> out = new EnumMap<>(KafkaUser.class);
        for (KafkaUser u : KafkaUser.values()) {
            out.put(u, new KafkaCredentials(u.principal(), password(),
                    u == KafkaUser.ADMIN ? KafkaCredentials.PLAIN : KafkaCredentials.SCRAM));
        }
        return out;
    }

    private static String password() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static void apply(String bootstrap, Map<KafkaUser, KafkaCredentials> credentials) {
        Map<String, Object> config = new HashMap<>(credentials.get(KafkaUser.ADMIN).clientProperties());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long t0 = System.nanoTime();
        try (Admin admin = Admin.create(config)) {
            createTopics(admin);
            List<UserScramCredentialAlteration> users = new ArrayList<>();
            for (KafkaCredentials c : credentials.values()) {
                if (KafkaCredentials.SCRAM.equals(c.mechanism())) {
                    users.add(new UserScramCredentialUpsertion(c.username(),
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), c.password()));
                }
            }
            admin.alterUserScramCredentials(users).all().get();
            List<AclBinding> acls = KafkaAcls.bindings();
            admin.createAcls(acls).all().get();
            awaitApplied(admin, users.size(), acls);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not set up Kafka users and ACLs: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        log.info("kafka secured: {} SCRAM users, {} ACLs, {} topics in {} ms", credentials.size() - 1,
                KafkaAcls.bindings().size(), KafkaAcls.topics().size(), (System.nanoTime() - t0) / 1_000_000);
    }

    private static void createTopics(Admin admin) throws InterruptedException, ExecutionException {
        List<NewTopic> topics = KafkaAcls.topics().stream()
                .map(t -> new NewTopic(t.name(), t.partitions() > 0 ? Optional.of(t.partitions()) : Optional.empty(),
                        Optional.empty()).configs(t.configs()))
                .toList();
        for (var f : admin.createTopics(topics).values().values()) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }

    /** The controller has them once the calls return; this broker serves them a little later. */
    private static void awaitApplied(Admin admin, int users, List<AclBinding> acls)
            throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        Set<AclBinding> wanted = new HashSet<>(acls);
        while (true) {
            Map<String, UserScramCredentialsDescription> described = admin.describeUserScramCredentials().all().get();
            if (described.size() >= users && admin.describeAcls(AclBindingFilter.ANY).values().get().containsAll(wanted)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not apply the Kafka users and ACLs within " + TIMEOUT);
            }
            Thread.sleep(20);
        }
    }
}
