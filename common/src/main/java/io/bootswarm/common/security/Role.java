package io.bootswarm.common.security;

import org.jspecify.annotations.Nullable;
import java.util.Locale;

/**
 * The roles a caller's token can carry (JWT claim {@code roles}, lower case). Each service's
 * {@link AccessRules} say which roles may call which endpoint.
 */
public enum Role {
    /** Images, profiles, the allocation strategy, deletes. */
    ADMIN,
    /** Launches, reading images. */
    ORCHESTRATOR,
    /** A node agent: host registration and heartbeat, announce, manifests, traces, reports; bound to its host. */
    AGENT,
    /** A seed-service: registers itself at the tracker. */
    SEED,
    /** Read-only access to everything, actuator metrics included. */
    VIEWER;

    /** The name in the token's {@code roles} claim. */
    public String claim() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The Spring Security authority the claim maps to ({@code ROLE_ADMIN}). */
    public String authority() {
        return "ROLE_" + name();
    }

    /** The role a claim value names, or null when it names none. */
    static @Nullable Role ofClaim(String claim) {
        for (Role r : values()) {
            if (r.claim().equals(claim)) {
                return r;
            }
        }
        return null;
    }
}
