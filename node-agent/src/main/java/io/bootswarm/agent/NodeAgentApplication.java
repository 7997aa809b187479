package io.bootswarm.agent;

import io.bootswarm.agent.aot.AotCacheCheck;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * node-agent: presents images to this host's hypervisor, fetching pieces from the swarm on demand.
 *
 * <p>Its configuration file is {@code node-agent.yml} (not {@code application.yml}), so that the whole
 * fleet can run in one JVM; {@link #builder()} sets that up, with the {@link EarlyStart} that serves
 * the disks of the data directory over NBD before the rest of the application is up.
 */
@SpringBootApplication
public class NodeAgentApplication {

    /** The application with its own configuration name; {@code main} and the local fleet use it. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(NodeAgentApplication.class).properties("spring.config.name=node-agent")
                .listeners(new EarlyStart(), new AotCacheCheck());
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
