package io.bootswarm.deploy;

import io.bootswarm.common.events.Topics;
import io.bootswarm.infra.kafka.KafkaAcls;
import io.bootswarm.infra.kafka.KafkaUser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compose deployment's Kafka (deploy/compose/kafka-acls.txt, applied by kafka.sh setup) is the
 * matrix of {@link KafkaAcls} over the topics of {@link Topics}, and every compose service logs in as
 * the principal of its application name.
 */
class KafkaAclsFileTest {

    static final Path ACLS = Chart.REPOSITORY.resolve("deploy/compose/kafka-acls.txt");

    /** compose service -> its client volume and its Kafka principal (its spring.application.name) */
    private static final Map<String, Map.Entry<String, KafkaUser>> LOGINS = new LinkedHashMap<>();

    static {
        LOGINS.put("tracker", Map.entry("tracker-service", KafkaUser.TRACKER));
        LOGINS.put("seed", Map.entry("seed-service", KafkaUser.SEED));
        LOGINS.put("profile", Map.entry("profile-service", KafkaUser.PROFILE));
        LOGINS.put("allocator", Map.entry("allocator-service", KafkaUser.ALLOCATOR));
        LOGINS.put("agent-1", Map.entry("agent-1", KafkaUser.AGENT));
        LOGINS.put("agent-2", Map.entry("agent-2", KafkaUser.AGENT));
    }

    private static List<String[]> lines;
    private static Map<String, Object> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        lines = new ArrayList<>();
        for (String line : Files.readAllLines(ACLS)) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                lines.add(l.split("\\s+"));
            }
        }
        services = (Map<String, Object>) ((Map<String, Object>) new Yaml()
                .load(Files.readString(ComposeChartAgreementTest.COMPOSE))).get("services");
    }

    @Test
    void everyLineIsATopicOrAGrant() {
        assertThat(lines).allSatisfy(l -> assertThat(l[0]).isIn("topic", "grant"));
        assertThat(lines).filteredOn(l -> l[0].equals("grant")).allSatisfy(l -> assertThat(l).hasSize(5));
    }

    @Test
    void topicsAreKafkaAclsTopics() {
        List<KafkaAcls.Topic> file = new ArrayList<>();
        for (String[] l : lines) {
            if (l[0].equals("topic")) {
                Map<String, String> configs = new TreeMap<>();
                for (String c : Arrays.copyOfRange(l, 3, l.length)) {
                    String[] kv = c.split("=", 2);
                    configs.put(kv[0], kv[1]);
                }
                file.add(new KafkaAcls.Topic(l[1], Integer.parseInt(l[2]), configs));
            }
        }
        assertThat(file).containsExactlyInAnyOrderElementsOf(KafkaAcls.topics());
        assertThat(file).extracting(KafkaAcls.Topic::name).containsExactlyInAnyOrderElementsOf(topicsConstants());
    }

    @Test
    void grantsAreKafkaAclsGrants() {
        List<KafkaAcls.Grant> file = new ArrayList<>();
        for (String[] l : lines) {
            if (l[0].equals("grant")) {
                KafkaUser user = Arrays.stream(KafkaUser.values()).filter(u -> u.principal().equals(l[1]))
                        .findFirst().orElseThrow(() -> new AssertionError("no KafkaUser " + l[1]));
                file.add(new KafkaAcls.Grant(user, topicList(l[2]), topicList(l[3]), l[4]));
            }
        }
        assertThat(file).containsExactlyInAnyOrderElementsOf(KafkaAcls.grants());
    }

    @Test
    void everyServiceLogsInAsItsPrincipalWithThePasswordInItsVolume() {
        Map<String, String> init = environment("init");
        Map<String, String> logins = new TreeMap<>();
        for (String login : init.get("BOOTSWARM_KAFKA_LOGINS").strip().split("\\s+")) {
            String[] kv = login.split(":", 2);
            logins.put(kv[0], kv[1]);
        }
        Map<String, String> expected = new TreeMap<>();
        LOGINS.forEach((service, login) -> {
            expected.put(login.getKey(), login.getValue().principal());
            Map<String, String> env = environment(service);
            assertThat(env).as(service).doesNotContainKeys("BOOTSWARM_KAFKA_SECURITY", "BOOTSWARM_KAFKA_USERNAME",
                            "BOOTSWARM_KAFKA_PASSWORD")
                    .containsEntry("SPRING_CONFIG_IMPORT", "configtree:/run/bootswarm/auth/" + login.getKey() + "/")
                    .containsEntry("BOOTSWARM_KAFKA_CREATE_TOPICS", "false");
        });
        assertThat(logins).isEqualTo(expected);
        // kafka-setup made the users and ACLs before any service starts
        for (String service : List.of("tracker", "profile", "allocator", "agent-1", "agent-2")) {
            assertThat(String.valueOf(((Map<?, ?>) services.get(service)).get("depends_on"))).as(service)
                    .contains("kafka-setup={condition=service_completed_successfully}");
        }
    }

    @Test
    void noServiceConnectsWithoutAuthentication() throws IOException {
        assertThat(Files.readString(ComposeChartAgreementTest.COMPOSE)).doesNotContain("BOOTSWARM_KAFKA_SECURITY");
    }

    private static List<String> topicList(String s) {
        return s.equals("-") ? List.of() : List.of(s.split(","));
    }

    private static List<String> topicsConstants() {
        List<String> names = new ArrayList<>();
        for (Field f : Topics.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(String service) {
        Map<String, String> env = new TreeMap<>();
        ((Map<String, Object>) ((Map<String, Object>) services.get(service)).get("environment"))
                .forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }
}
