package io.bootswarm.common.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpMethod;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.stream.Collectors;

/**
 * One structured line on logger {@code io.bootswarm.audit} per call that changes something (POST,
 * PUT, PATCH, DELETE) and per refused call: who (token subject, roles), what (method), which
 * resource (path) and the outcome (status). Routine calls ({@link AccessRules.Builder#routine()})
 * are left out unless refused.
 */
final class AuditFilter extends OncePerRequestFilter {

    private static final Logger audit = LoggerFactory.getLogger("io.bootswarm.audit");

    private final AccessRules rules;
    private final String service;

    AuditFilter(AccessRules rules, String service) {
        this.rules = rules;
        this.service = service;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, response);
        } finally {
            record(request, response.getStatus());
        }
    }

    private void record(HttpServletRequest request, int status) {
        boolean refused = status == 401 || status == 403;
        String method = request.getMethod();
        boolean changes = !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
        if (!refused && !changes) {
            return;
        }
        String path = request.getRequestURI();
        if (!refused) {
            AccessRules.Rule rule = rules.ruleFor(HttpMethod.valueOf(method), path);
            if (rule != null && !rule.audited()) {
                return;
            }
        }
        Authentication who = SecurityContextHolder.getContext().getAuthentication();
        String subject = who == null ? "anonymous" : who.getName();
        String roles = who == null ? "" : who.getAuthorities().stream().map(GrantedAuthority::getAuthority)
                .filter(a -> a.startsWith("ROLE_")).map(a -> a.substring(5).toLowerCase()).sorted()
                .collect(Collectors.joining(","));
        var line = refused ? audit.atWarn() : audit.atInfo();
        line.addKeyValue("service", service)
                .addKeyValue("subject", subject)
                .addKeyValue("roles", roles)
                .addKeyValue("action", method)
                .addKeyValue("resource", path)
                .addKeyValue("status", status)
                .addKeyValue("source", request.getRemoteAddr())
                .log("audit service={} subject={} roles=[{}] action={} resource={} status={} source={}",
                        service, subject, roles, method, path, status, request.getRemoteAddr());
    }
}
