package io.bootswarm.agent.fuse;

import io.bootswarm.agent.AgentProperties;
import io.bootswarm.agent.launch.Disks;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Mounts the agent's disks as files ({@link FuseMount}) when {@code bootswarm.agent.fuse.enabled=true};
 * the mount point defaults to {@code <bootswarm.agent.data-directory>/mnt}. Mounting happens while
 * the context starts (a failure, such as FUSE missing on the host, stops the start with a message
 * saying what to install) and unmounting when it closes, before the disks close.
 *
 * <p>Other beans reach the mount through {@code ObjectProvider<FuseMount>} (absent when disabled),
 * e.g. {@code fuse.ifAvailable(m -> m.pathOf(diskId))} for the local API's view of a disk.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("bootswarm.agent.fuse.enabled")
@EnableConfigurationProperties(FuseProperties.class)
public class FuseConfiguration {

    /** The disks to present: the agent's {@link Disks}, unless a {@link DiskCatalog} bean is given. */
    @Bean
    @ConditionalOnMissingBean(DiskCatalog.class)
    DiskCatalog fuseDiskCatalog(Disks disks) {
        return DiskCatalog.of(disks);
    }

    @Bean(destroyMethod = "close")
    FuseMount fuseMount(FuseProperties settings, AgentProperties agent, DiskCatalog disks,
                        ObjectProvider<MeterRegistry> meters, ObjectProvider<Disks> agentDisks) throws IOException {
        FuseProperties resolved = settings.withDefaultMountPoint(agent.dataDirectory().resolve("mnt"));
        FuseMount mount = new FuseMount(resolved, disks, meters.getIfAvailable()).start();
        agentDisks.ifAvailable(d -> d.setFilePaths(id -> mount.pathOf(id).map(Path::toString).orElse(null)));
        return mount;
    }
}
