package io.bootswarm.common.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;

import java.net.URI;
import java.util.Objects;

/**
 * Puts this service's own token on every call it makes through the context's {@code RestClient.Builder}
 * (to the tracker, the seed, profile-service): OAuth2 client credentials (RFC 6749 §4.4) with
 * {@code bootswarm.security.client.*}, the token cached until shortly before it expires and dropped
 * when a service answers 401.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(RestClientCustomizer.class)
class ServiceTokenConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ServiceTokenConfiguration.class);
    static final String REGISTRATION = "bootswarm";

    @Bean
    RestClientCustomizer bootswarmServiceToken(SecurityProperties properties, Environment env) {
        SecurityProperties.Client client = properties.client();
        if (!client.configured()) {
            log.warn("bootswarm.security.client.id is not set: calls to other bootswarm services carry no token "
                    + "and are refused");
            return builder -> { };
        }
        String id = Objects.requireNonNull(client.id(), "configured() says there is one");
        URI configuredTokenUri = client.tokenUri();
        URI tokenUri = configuredTokenUri != null ? configuredTokenUri : defaultTokenUri(env);
        ClientRegistration registration = ClientRegistration.withRegistrationId(REGISTRATION)
                .clientId(id)
                .clientSecret(client.secret())
                .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
                .tokenUri(tokenUri.toString())
                .build();
        var registrations = new InMemoryClientRegistrationRepository(registration);
        var authorized = new InMemoryOAuth2AuthorizedClientService(registrations);
        var manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, authorized);
        manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().clientCredentials().build());
        Authentication self = UsernamePasswordAuthenticationToken.authenticated(id, null,
                AuthorityUtils.NO_AUTHORITIES);
        var interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
        interceptor.setClientRegistrationIdResolver(request -> REGISTRATION);
        interceptor.setPrincipalResolver(request -> self);
        interceptor.setAuthorizationFailureHandler(OAuth2ClientHttpRequestInterceptor.authorizationFailureHandler(authorized));
        log.info("calls to other services authenticate as client '{}' at {}", client.id(), tokenUri);
        return builder -> builder.requestInterceptor(interceptor);
    }

    private static URI defaultTokenUri(Environment env) {
        String issuer = env.getProperty(ServiceSecurityAutoConfiguration.ISSUER_PROPERTY);
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalStateException("bootswarm.security.client.token-uri is not set and there is no "
                    + ServiceSecurityAutoConfiguration.ISSUER_PROPERTY + " to derive it from");
        }
        return URI.create(issuer.replaceAll("/+$", "") + "/oauth2/token");
    }
}
