package io.bootswarm.tracker;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * tracker-service: host registry, swarm membership and the fleet launch API.
 *
 * <p>Its configuration file is {@code tracker-service.yml} (not {@code application.yml}), so that the whole
 * fleet can run in one JVM; {@link #builder()} sets that up.
 */
@SpringBootApplication
public class TrackerServiceApplication {

    /** The application with its own configuration name; {@code main} and the local fleet use it. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(TrackerServiceApplication.class).properties("spring.config.name=tracker-service");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
