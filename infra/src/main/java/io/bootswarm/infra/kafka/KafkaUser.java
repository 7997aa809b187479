package io.bootswarm.infra.kafka;

/**
 * The identities a bootswarm Kafka cluster knows. Each service authenticates as its own principal
 * (SASL/SCRAM-SHA-512), named after its {@code spring.application.name}, which is also the prefix of
 * its consumer groups; {@link #ADMIN} is the broker's super user (SASL/PLAIN), used by the broker
 * itself and to set the cluster up.
 */
public enum KafkaUser {
    ADMIN("admin"),
    TRACKER("tracker-service"),
    SEED("seed-service"),
    PROFILE("profile-service"),
    ALLOCATOR("allocator-service"),
    AGENT("node-agent");

    private final String principal;

    KafkaUser(String principal) {
        this.principal = principal;
    }

    /** The user name, as in {@code User:<name>} of the ACLs. */
    public String principal() {
        return principal;
    }
}
