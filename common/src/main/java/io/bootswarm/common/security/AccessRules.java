package io.bootswarm.common.security;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPatternParser;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Which roles may call which endpoint of a service: one {@link Rule} per method and path pattern
 * (Spring's path-pattern syntax, {@code /api/v1/hosts/{name}}, {@code /**}). A service declares its
 * rules as a bean; an endpoint no rule names is refused to everyone, and the endpoint × role matrix
 * tests fail on it. Health probes, the OpenAPI document and the Swagger UI are open; the rest of the
 * actuator needs {@link Role#VIEWER} or {@link Role#ADMIN}.
 */
public record AccessRules(List<Rule> rules) {

    public AccessRules {
        rules = List.copyOf(rules);
    }

    /**
     * @param method    the HTTP method
     * @param pattern   the path pattern
     * @param roles     who may call it; empty only when {@code anonymous}
     * @param anonymous open to callers without a token (the stock BitTorrent announce, checked by passkey)
     * @param audited   whether each call is written to the audit log (all but routine calls such as
     *                  announces and heartbeats; only calls that change something are audited at all)
     */
    public record Rule(HttpMethod method, String pattern, Set<Role> roles, boolean anonymous, boolean audited) {
        public Rule {
            roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
            if (roles.isEmpty() != anonymous) {
                throw new IllegalArgumentException(method + " " + pattern + ": a rule names roles or is anonymous");
            }
        }
    }

    /**
     * The first rule for {@code method} whose pattern matches {@code path} (a request path, or an
     * OpenAPI path whose {@code {variables}} match the rule's), or null: the order the filter chain
     * matches in.
     */
    public @Nullable Rule ruleFor(HttpMethod method, String path) {
        PathContainer container = PathContainer.parsePath(path);
        for (Rule r : rules) {
            if (r.method().equals(method) && PathPatternParser.defaultInstance.parse(r.pattern()).matches(container)) {
                return r;
            }
        }
        return null;
    }

    /** These rules and then {@code more}'s. */
    public AccessRules and(AccessRules more) {
        List<Rule> all = new ArrayList<>(rules);
        all.addAll(more.rules());
        return new AccessRules(all);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects rules in the order they are matched. */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();

        public Builder get(String pattern, Role... roles) {
            return add(HttpMethod.GET, pattern, roles);
        }

        public Builder post(String pattern, Role... roles) {
            return add(HttpMethod.POST, pattern, roles);
        }

        public Builder put(String pattern, Role... roles) {
            return add(HttpMethod.PUT, pattern, roles);
        }

        public Builder delete(String pattern, Role... roles) {
            return add(HttpMethod.DELETE, pattern, roles);
        }

        /** An endpoint open to callers without a token, which must check the caller some other way. */
        public Builder anonymous(HttpMethod method, String pattern) {
            rules.add(new Rule(method, pattern, Set.of(), true, true));
            return this;
        }

        public Builder add(HttpMethod method, String pattern, Role... roles) {
            if (roles.length == 0) {
                throw new IllegalArgumentException(method + " " + pattern + ": no roles");
            }
            rules.add(new Rule(method, pattern, Set.of(roles), false, true));
            return this;
        }

        /** Leaves the rule added last out of the audit log: a routine call made every few seconds. */
        public Builder routine() {
            Rule last = rules.removeLast();
            rules.add(new Rule(last.method(), last.pattern(), last.roles(), last.anonymous(), false));
            return this;
        }

        public AccessRules build() {
            return new AccessRules(rules);
        }
    }
}
