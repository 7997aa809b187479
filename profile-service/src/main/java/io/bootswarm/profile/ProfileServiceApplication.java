package io.bootswarm.profile;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * profile-service: the registry of access profiles (VMTorrent §2.2.3), one per (image, workload),
 * built from the access traces agents send over Kafka and from traces admins upload.
 *
 * <p>Its configuration file is {@code profile-service.yml} (not {@code application.yml}), so that the
 * whole fleet can run in one JVM; {@link #builder()} sets that up.
 */
@SpringBootApplication
public class ProfileServiceApplication {

    /** The application with its own configuration name; {@code main} and the local fleet use it. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(ProfileServiceApplication.class).properties("spring.config.name=profile-service");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
