package io.bootswarm.infra.auth;

import io.bootswarm.auth.AuthorizationServer;
import io.bootswarm.auth.AuthorizationServerMain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuthorizationServerIT {

    static AuthorizationServer server;
    static final HttpClient http = HttpClient.newHttpClient();
    static final JsonMapper json = JsonMapper.builder().build();

    @BeforeAll
    static void start() {
        server = AuthorizationServer.start("127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode claims(String jwt) {
        return json.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }

    @Test
    void aClientsTokenCarriesItsRolesAndHostAndIsSignedByAPublishedKey() throws Exception {
        String token = server.token("agent-h1", Set.of("agent"), "h1");

        JsonNode claims = claims(token);
        assertThat(claims.path("sub").asString()).isEqualTo("agent-h1");
        assertThat(claims.path("iss").asString()).isEqualTo(server.issuerUri());
        assertThat(claims.path("roles").valueStream().map(JsonNode::asString)).containsExactly("agent");
        assertThat(claims.path("host").asString()).isEqualTo("h1");
        assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(600);
        String kid = json.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[0])).path("kid").asString();
        HttpResponse<String> jwks = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/oauth2/jwks")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json.readTree(jwks.body()).path("keys").valueStream().map(k -> k.path("kid").asString())).contains(kid);
        HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(
                URI.create(server.url() + "/.well-known/oauth-authorization-server")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json.readTree(metadata.body()).path("issuer").asString()).isEqualTo(server.issuerUri());
    }

    @Test
    void aWrongSecretGetsNoToken() throws Exception {
        server.register("viewer-x", Set.of("viewer"), null);
        String basic = Base64.getEncoder().encodeToString("viewer-x:wrong".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.tokenUri()))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).doesNotContain("access_token");
    }

    @Test
    void aClientIdIsNotTakenOverWithOtherRolesOrAnotherHost() {
        server.register("agent-h2", Set.of("agent"), "h2");

        assertThatThrownBy(() -> server.register("agent-h2", Set.of("agent", "admin"), "h2"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.register("agent-h2", Set.of("agent"), "h3"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.register("agent-h2", Set.of("agent"), "h2").host()).isEqualTo("h2");
    }

    @Test
    void clientsAreReadFromTheDeploymentsList() {
        assertThat(AuthorizationServerMain.parse("tracker-service:viewer, agent-1:agent@agent-1,ops:admin+viewer"))
                .containsExactly(new AuthorizationServerMain.ClientSpec("tracker-service", Set.of("viewer"), null),
                        new AuthorizationServerMain.ClientSpec("agent-1", Set.of("agent"), "agent-1"),
                        new AuthorizationServerMain.ClientSpec("ops", Set.of("admin", "viewer"), null));
        assertThatThrownBy(() -> AuthorizationServerMain.parse("nothing")).isInstanceOf(IllegalArgumentException.class);
    }
}
