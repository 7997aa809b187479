package io.bootswarm.common.security;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.net.URI;

/**
 * {@code bootswarm.security.*}: how this service obtains the token it sends to the others (OAuth2
 * client credentials). Incoming tokens are checked against the issuer set by Spring Boot's own
 * {@code spring.security.oauth2.resourceserver.jwt.issuer-uri} (or {@code jwk-set-uri}), which every
 * service needs: without one it does not start.
 *
 * @param client the service's own client at the identity provider
 */
@ConfigurationProperties("bootswarm.security")
public record SecurityProperties(Client client) {

    public SecurityProperties {
        client = client == null ? new Client(null, null, null) : client;
    }

    /**
     * @param id       client id; without one, calls to other services carry no token (and are refused)
     * @param secret   client secret
     * @param tokenUri the token endpoint; defaults to {@code <issuer-uri>/oauth2/token} (Spring
     *                 Authorization Server's; Keycloak's is {@code .../protocol/openid-connect/token})
     */
    public record Client(@Nullable String id, @Nullable String secret, @Nullable URI tokenUri) {
        public boolean configured() {
            return id != null && !id.isBlank();
        }
    }
}
