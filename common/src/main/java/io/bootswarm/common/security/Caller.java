package io.bootswarm.common.security;

import org.jspecify.annotations.Nullable;
import io.bootswarm.common.web.ProblemException;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who called: the token's subject, the host it is bound to (claim {@code host}, set for agent
 * clients) and its roles.
 *
 * @param subject the token's {@code sub} (the OAuth2 client id)
 * @param host    the host an agent's token speaks for, or null
 * @param roles   the roles it carries
 */
public record Caller(String subject, @Nullable String host, Set<Role> roles) {

    /** The JWT claim naming an agent's host. */
    public static final String HOST_CLAIM = "host";

    public Caller {
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    }

    /** The caller behind an authenticated request; never null for endpoints that need a role. */
    public static Caller of(Authentication authentication) {
        if (authentication == null || !authentication.isAuthenticated()) {
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized",
                    "this endpoint needs a bearer token");
        }
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        authentication.getAuthorities().forEach(a -> {
            for (Role r : Role.values()) {
                if (r.authority().equals(a.getAuthority())) {
                    roles.add(r);
                }
            }
        });
        String host = authentication.getPrincipal() instanceof Jwt jwt ? jwt.getClaimAsString(HOST_CLAIM) : null;
        return new Caller(authentication.getName(), host, roles);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /**
     * Refuses (403) an agent that acts for another host than its token's: "a host is who its token
     * says". Callers without the agent role pass (their rule decided already).
     */
    public void requireHost(String hostName) {
        if (has(Role.AGENT) && !hostName.equals(host)) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "foreign-host", "Forbidden",
                    "token of '" + subject + "' speaks for host '" + host + "', not '" + hostName + "'");
        }
    }
}
