package io.bootswarm.common.security;

import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.AccessMatrix;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An endpoint added without an access rule: refused to every role, and named by the endpoint ×
 * role matrix, which is what makes each service's matrix test fail on it.
 */
@SpringBootTest(classes = UnruledEndpointIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.autoconfigure.exclude="
                + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
                + "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration,"
                + "org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration,"
                + "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration"})
class UnruledEndpointIT {

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void issuer(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> Infra.shared().auth().issuerUri());
    }

    @Test
    void anEndpointWithoutARuleIsRefusedToEveryoneAndTheMatrixNamesIt() {
        AccessMatrix.Result result = new AccessMatrix(Infra.shared().auth()).run("http://127.0.0.1:" + port);

        assertThat(result.unruled()).containsExactly("POST /forgotten");
        assertThat(result.wrong()).isEmpty();
        assertThat(result.cells()).filteredOn(c -> c.path().equals("/ruled"))
                .extracting(AccessMatrix.Cell::role, AccessMatrix.Cell::status)
                .contains(org.assertj.core.groups.Tuple.tuple("anonymous", 401), org.assertj.core.groups.Tuple.tuple("agent", 403));
        assertThat(AccessMatrix.ROLES).allSatisfy(role ->
                assertThat(post("/forgotten", new AccessMatrix(Infra.shared().auth()).roleToken(role))).isEqualTo(403));
        assertThat(post("/forgotten", null)).isEqualTo(401);
    }

    private int post(String path, String token) {
        var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            return java.net.http.HttpClient.newHttpClient().send(b.build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(Endpoints.class)
    static class App {
        @Bean
        AccessRules rules() {
            return AccessRules.builder().get("/ruled", Role.VIEWER).build();
        }
    }

    @RestController
    static class Endpoints {
        @GetMapping("/ruled")
        String ruled() {
            return "ok";
        }

        @PostMapping("/forgotten")
        String forgotten() {
            return "should never answer";
        }
    }
}
