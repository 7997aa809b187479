package io.bootswarm.infra.auth;

import io.bootswarm.infra.Infra;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * The bearer tokens integration tests call a service with, from the authorization server of
 * {@link Infra#shared()}: by default the operator's (a client with every role, bound to host
 * {@value #OPERATOR}), the token a real caller allowed everything would have. Also reads the
 * {@code roles} claim of a token a service sent to a stand-in of another service.
 */
public final class Tokens {

    /** Client id of the operator, and the host its token is bound to. */
    public static final String OPERATOR = "it-operator";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Tokens() {
    }

    /** A token of the operator client: every role of {@link AccessMatrix#ROLES}, bound to host {@value #OPERATOR}. */
    public static String operator() {
        return Infra.shared().auth().token(OPERATOR, Set.copyOf(AccessMatrix.ROLES), OPERATOR);
    }

    /** {@code request} with the operator's bearer token, unless it has an {@code Authorization} header already. */
    public static HttpRequest authorized(HttpRequest request) {
        if (request.headers().firstValue("Authorization").isPresent()) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true)
                .header("Authorization", "Bearer " + operator()).build();
    }

    /**
     * The {@code roles} claim of the bearer token in an {@code Authorization} header as received
     * (the signature is not checked: a stand-in only asks what the caller sent); empty when the
     * header is missing or not a bearer JWT.
     */
    public static List<String> roles(String authorization) {
        List<String> roles = new ArrayList<>();
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return roles;
        }
        String[] parts = authorization.substring("Bearer ".length()).trim().split("\\.");
        if (parts.length != 3) {
            return roles;
        }
        JsonNode claims = JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        JsonNode claimed = claims.get("roles");
        if (claimed != null) {
            claimed.forEach(r -> roles.add(r.asString()));
        }
        return roles;
    }
}
