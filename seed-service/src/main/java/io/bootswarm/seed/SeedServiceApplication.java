package io.bootswarm.seed;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * seed-service: the image catalog and the seed that serves every image's pieces.
 *
 * <p>Its configuration file is {@code seed-service.yml} (not {@code application.yml}), so that the whole
 * fleet can run in one JVM; {@link #builder()} sets that up.
 *
 * <p>Features, one package each: {@code catalog} (images in PostgreSQL, REST), {@code imports}
 * (upload and path import, progress), {@code serving} (the peer wire server), {@code allocation}
 * (the seed's upload split over piece groups by allocator-service's plan), {@code tracker}
 * (registration with tracker-service).
 */
@SpringBootApplication
@EnableConfigurationProperties(SeedProperties.class)
public class SeedServiceApplication {

    /** The application with its own configuration name; {@code main} and the local fleet use it. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(SeedServiceApplication.class).properties("spring.config.name=seed-service");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
