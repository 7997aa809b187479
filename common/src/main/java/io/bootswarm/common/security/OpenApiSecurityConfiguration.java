package io.bootswarm.common.security;

import org.jspecify.annotations.Nullable;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.security.OAuthFlow;
import io.swagger.v3.oas.models.security.OAuthFlows;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpMethod;

import java.util.List;

/**
 * Describes the security of the API in each service's OpenAPI document: a bearer (JWT) scheme and an
 * OAuth2 client-credentials scheme (the Swagger UI's "Authorize"), and on every operation the roles
 * its rule allows as {@code x-bootswarm-roles} ({@code x-bootswarm-anonymous} for open ones). An
 * operation without a rule gets neither, which the endpoint × role matrix tests refuse.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(OpenApiCustomizer.class)
class OpenApiSecurityConfiguration {

    static final String ROLES_EXTENSION = "x-bootswarm-roles";
    static final String ANONYMOUS_EXTENSION = "x-bootswarm-anonymous";

    @Bean
    OpenApiCustomizer bootswarmSecurityDocument(ObjectProvider<AccessRules> serviceRules, Environment env) {
        return openApi -> {
            AccessRules rules = serviceRules.orderedStream().reduce(AccessRules.builder().build(), AccessRules::and);
            Components components = openApi.getComponents() != null ? openApi.getComponents() : new Components();
            openApi.setComponents(components);
            components.addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                    .scheme("bearer").bearerFormat("JWT")
                    .description("an access token of the operator's identity provider; claim `roles`"));
            String issuer = env.getProperty(ServiceSecurityAutoConfiguration.ISSUER_PROPERTY);
            String tokenUri = env.getProperty("bootswarm.security.client.token-uri",
                    issuer == null ? "" : issuer.replaceAll("/+$", "") + "/oauth2/token");
            if (!tokenUri.isEmpty()) {
                components.addSecuritySchemes("client-credentials", new SecurityScheme()
                        .type(SecurityScheme.Type.OAUTH2)
                        .flows(new OAuthFlows().clientCredentials(new OAuthFlow().tokenUrl(tokenUri))));
            }
            if (openApi.getPaths() == null) {
                return;
            }
            openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) ->
                    describe(rules.ruleFor(HttpMethod.valueOf(method.name()), path), operation)));
        };
    }

    private static void describe(AccessRules.@Nullable Rule rule, Operation operation) {
        if (rule == null) {
            return;
        }
        if (rule.anonymous()) {
            operation.addExtension(ANONYMOUS_EXTENSION, true);
            operation.setSecurity(List.of());
            return;
        }
        operation.addExtension(ROLES_EXTENSION, rule.roles().stream().map(Role::claim).sorted().toList());
        operation.setSecurity(List.of(new SecurityRequirement().addList("bearer"),
                new SecurityRequirement().addList("client-credentials")));
    }
}
