package io.bootswarm.tracker.hosts;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code bootswarm.tracker.hosts.*}: how an agent's token proves which host it is.
 *
 * @param agentIdentity {@code per-host} (default): an agent registers and heartbeats only as the host its
 *                      token's {@code host} claim names, so a compromised agent cannot take over another
 *                      host's registration; {@code shared}: any token with the agent role may act for any
 *                      host — only for identity providers that cannot issue a client per host (one client
 *                      shared by a Kubernetes DaemonSet), at the cost of that protection
 */
@ConfigurationProperties("bootswarm.tracker.hosts")
public record HostIdentityProperties(AgentIdentity agentIdentity) {

    public HostIdentityProperties {
        agentIdentity = agentIdentity == null ? AgentIdentity.PER_HOST : agentIdentity;
    }

    /** Whether agents' tokens are bound to their hosts. */
    public enum AgentIdentity {
        PER_HOST, SHARED
    }
}
