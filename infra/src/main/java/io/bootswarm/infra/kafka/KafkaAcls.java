package io.bootswarm.infra.kafka;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Who may do what on a bootswarm Kafka cluster: the topics (created by the admin, not by the
 * services) and, per service principal, the topics it writes, the topics it reads and the prefix of
 * its consumer groups. Everything else is denied ({@code allow.everyone.if.no.acl.found=false}).
 * The topic names are those of {@code io.bootswarm.common.events.Topics} (a test there keeps them equal).
 */
public final class KafkaAcls {

    public static final String IMAGES = "bootswarm.images.v1";
    public static final String LAUNCH_COMMANDS = "bootswarm.launch-commands.v1";
    public static final String LAUNCH_STATUS = "bootswarm.launch-status.v1";
    public static final String ACCESS_TRACES = "bootswarm.access-traces.v1";
    public static final String SWARM_REPORTS = "bootswarm.swarm-reports.v1";
    public static final String SWARM_PEERS = "bootswarm.swarm-peers.v1";
    public static final String ALLOCATION_PLANS = "bootswarm.allocation-plans.v1";

    /** Largest allocation plan record (as {@code TopicsAutoConfiguration.PLAN_MAX_BYTES}). */
    public static final int PLAN_MAX_BYTES = 16 * 1024 * 1024;

    /**
     * A topic to create.
     *
     * @param partitions -1 for the broker's {@code num.partitions}
     */
    public record Topic(String name, int partitions, Map<String, String> configs) {
    }

    /**
     * What one principal may do.
     *
     * @param produces    topics it may write (and describe)
     * @param consumes    topics it may read (and describe)
     * @param groupPrefix consumer groups it may use: those whose id starts with this
     */
    public record Grant(KafkaUser user, List<String> produces, List<String> consumes, String groupPrefix) {
    }

    private static final List<Topic> TOPICS = List.of(
            new Topic(IMAGES, -1, Map.of()),
            new Topic(LAUNCH_COMMANDS, -1, Map.of()),
            new Topic(LAUNCH_STATUS, -1, Map.of()),
            new Topic(ACCESS_TRACES, -1, Map.of()),
            new Topic(SWARM_REPORTS, -1, Map.of()),
            new Topic(SWARM_PEERS, -1, Map.of("cleanup.policy", "compact,delete", "retention.ms", "3600000")),
            new Topic(ALLOCATION_PLANS, 1, Map.of("max.message.bytes", String.valueOf(PLAN_MAX_BYTES))));

    private static final List<Grant> GRANTS = List.of(
            new Grant(KafkaUser.TRACKER, List.of(LAUNCH_COMMANDS, SWARM_PEERS), List.of(LAUNCH_STATUS, SWARM_PEERS),
                    "tracker-service"),
            new Grant(KafkaUser.SEED, List.of(IMAGES), List.of(ALLOCATION_PLANS, SWARM_REPORTS), "seed-service"),
            new Grant(KafkaUser.PROFILE, List.of(), List.of(ACCESS_TRACES), "profile-service"),
            new Grant(KafkaUser.ALLOCATOR, List.of(ALLOCATION_PLANS), List.of(SWARM_REPORTS), "allocator-service"),
            new Grant(KafkaUser.AGENT, List.of(LAUNCH_STATUS, ACCESS_TRACES, SWARM_REPORTS), List.of(LAUNCH_COMMANDS),
                    "node-agent"));

    private KafkaAcls() {
    }

    public static List<Topic> topics() {
        return TOPICS;
    }

    public static List<Grant> grants() {
        return GRANTS;
    }

    /** The ACLs of {@link #grants()}. */
    public static List<AclBinding> bindings() {
        List<AclBinding> out = new ArrayList<>();
        for (Grant g : GRANTS) {
            for (String t : g.produces()) {
                out.add(allow(g.user(), ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE));
                out.add(allow(g.user(), ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE));
            }
            for (String t : g.consumes()) {
                out.add(allow(g.user(), ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ));
                out.add(allow(g.user(), ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE));
            }
            if (!g.consumes().isEmpty()) {
                out.add(allow(g.user(), ResourceType.GROUP, g.groupPrefix(), PatternType.PREFIXED, AclOperation.READ));
            }
        }
        return List.copyOf(out);
    }

    private static AclBinding allow(KafkaUser user, ResourceType type, String name, PatternType pattern,
                                    AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user.principal(), "*", operation, AclPermissionType.ALLOW));
    }
}
