package io.bootswarm.common.security;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.boot.security.oauth2.server.resource.autoconfigure.OAuth2ResourceServerAutoConfiguration;
import org.springframework.boot.security.oauth2.server.resource.autoconfigure.web.OAuth2ResourceServerWebSecurityAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import jakarta.servlet.DispatcherType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Every bootswarm web service is an OAuth2 resource server: a JWT from the operator's identity
 * provider ({@code spring.security.oauth2.resourceserver.jwt.issuer-uri}), whose {@code roles} claim
 * is checked against the service's {@link AccessRules}; an endpoint without a rule is refused to
 * all. 401 and 403 come with RFC 9457 bodies, calls that change something are written to the audit
 * log, and calls to other services carry this service's own client-credentials token
 * ({@link SecurityProperties}). There is no switch to turn this off.
 */
@AutoConfiguration(after = OAuth2ResourceServerAutoConfiguration.class,
        before = {OAuth2ResourceServerWebSecurityAutoConfiguration.class, ServletWebSecurityAutoConfiguration.class,
                UserDetailsServiceAutoConfiguration.class},
        beforeName = "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(SecurityFilterChain.class)
@EnableConfigurationProperties(SecurityProperties.class)
@EnableWebSecurity
@Import({ServiceTokenConfiguration.class, OpenApiSecurityConfiguration.class})
public class ServiceSecurityAutoConfiguration {

    static final String ISSUER_PROPERTY = "spring.security.oauth2.resourceserver.jwt.issuer-uri";
    static final String JWK_SET_PROPERTY = "spring.security.oauth2.resourceserver.jwt.jwk-set-uri";

    /** The rules of the service plus the open health probes and API documents, and the actuator for viewers. */
    @Bean
    SecurityFilterChain bootswarmSecurityFilterChain(HttpSecurity http, ObjectProvider<AccessRules> serviceRules,
                                                     ObjectProvider<JwtDecoder> decoder, Environment env) {
        if (decoder.getIfAvailable() == null) {
            throw new IllegalStateException("no identity provider configured: set " + ISSUER_PROPERTY
                    + " (or " + JWK_SET_PROPERTY + ") to the OAuth2 issuer whose tokens this service accepts");
        }
        AccessRules rules = serviceRules.orderedStream().reduce(AccessRules.builder().build(), AccessRules::and);
        SecurityProblems problems = new SecurityProblems();
        http.csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                .anonymous(a -> a.principal("anonymous"))
                .authorizeHttpRequests(a -> {
                    a.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.FORWARD).permitAll();
                    a.requestMatchers("/actuator/health", "/actuator/health/**", "/v3/api-docs", "/v3/api-docs/**",
                            "/v3/api-docs.yaml", "/swagger-ui.html", "/swagger-ui/**", "/error").permitAll();
                    a.requestMatchers("/actuator", "/actuator/**").hasAnyRole(Role.VIEWER.name(), Role.ADMIN.name());
                    for (AccessRules.Rule r : rules.rules()) {
                        if (r.anonymous()) {
                            a.requestMatchers(r.method(), r.pattern()).permitAll();
                        } else {
                            a.requestMatchers(r.method(), r.pattern())
                                    .hasAnyRole(r.roles().stream().map(Role::name).toArray(String[]::new));
                        }
                    }
                    a.anyRequest().denyAll();
                })
                .oauth2ResourceServer(o -> o
                        .jwt(j -> j.jwtAuthenticationConverter(rolesConverter()))
                        .authenticationEntryPoint(problems)
                        .accessDeniedHandler(problems))
                .exceptionHandling(e -> e.authenticationEntryPoint(problems).accessDeniedHandler(problems))
                .addFilterAfter(new AuditFilter(rules, env.getProperty("spring.application.name", "service")),
                        SecurityContextHolderFilter.class);
        return http.build();
    }

    /**
     * Every {@link JwtDecoder} (Spring Boot's, from the issuer or JWK set) wrapped in a
     * {@link CachingJwtDecoder}, so that a bearer token is verified once, not on every call.
     */
    @Bean
    static BeanPostProcessor cachingJwtDecoderPostProcessor() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                return bean instanceof JwtDecoder d && !(bean instanceof CachingJwtDecoder) ? new CachingJwtDecoder(d)
                        : bean;
            }
        };
    }

    /** Authorities from the token's {@code roles} claim: {@code admin} → {@code ROLE_ADMIN}; unknown roles are ignored. */
    static JwtAuthenticationConverter rolesConverter() {
        JwtAuthenticationConverter converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter(jwt -> {
            List<String> claimed = jwt.getClaimAsStringList("roles");
            Collection<SimpleGrantedAuthority> authorities = new ArrayList<>();
            if (claimed != null) {
                claimed.stream().map(Role::ofClaim).filter(Objects::nonNull)
                        .forEach(r -> authorities.add(new SimpleGrantedAuthority(r.authority())));
            }
            return new ArrayList<>(authorities);
        });
        return converter;
    }
}
