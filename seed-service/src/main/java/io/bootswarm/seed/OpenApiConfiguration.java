package io.bootswarm.seed;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The title and description of seed-service's OpenAPI document (Swagger UI at {@code /swagger-ui.html}). */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI seedOpenApi() {
        return new OpenAPI().info(new Info()
                .title("bootswarm seed-service")
                .version("v1")
                .description("The image catalog of bootswarm: upload or import raw disk images, which are split "
                        + "into fixed-size pieces named by their SHA-256; list, inspect and delete them; fetch the "
                        + "manifests agents use to fetch and verify pieces. The same service seeds every image's "
                        + "pieces to peers over the BitTorrent peer wire protocol. Errors are RFC 9457 problem "
                        + "details (application/problem+json)."));
    }
}
