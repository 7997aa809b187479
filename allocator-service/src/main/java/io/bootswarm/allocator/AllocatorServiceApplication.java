package io.bootswarm.allocator;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * allocator-service: splits the seed's upload over the swarms (Wu et al., "On P2P Mechanisms for
 * VM Image Distribution in Cloud Data Centers", §IV). It aggregates the agents' swarm reports
 * (Kafka), solves every period with the current strategy (Cross-Opt, the paper's subgradient
 * method, by default), publishes the plan for seed-service (Kafka) and keeps the history
 * (PostgreSQL).
 *
 * <p>Its configuration file is {@code allocator-service.yml} (not {@code application.yml}), so that the
 * whole fleet can run in one JVM; {@link #builder()} sets that up.
 *
 * <p>Packages: {@code reports} (the live reports and the problem they make), {@code plan} (the
 * planner, its strategy and the plan history), {@code leader} (which replica plans: a lease in
 * PostgreSQL), {@code api} (REST).
 */
@SpringBootApplication
public class AllocatorServiceApplication {

    /** The application with its own configuration name; {@code main} and the local fleet use it. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(AllocatorServiceApplication.class)
                .properties("spring.config.name=allocator-service");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
