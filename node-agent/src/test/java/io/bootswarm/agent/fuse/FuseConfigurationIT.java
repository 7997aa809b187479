package io.bootswarm.agent.fuse;

import io.bootswarm.agent.AgentProperties;
import io.bootswarm.agent.nbd.BlockDevice;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link FuseConfiguration} in a Spring context: off unless enabled, mounted while the context lives. */
class FuseConfigurationIT {

    @TempDir
    Path dir;

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(AgentProperties.class)
    static class Agent {
    }

    final Map<UUID, BlockDevice> devices = new ConcurrentHashMap<>();

    ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withUserConfiguration(Agent.class, FuseConfiguration.class)
                .withBean(DiskCatalog.class, () -> DiskCatalog.of(devices))
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("bootswarm.agent.data-directory=" + dir);
    }

    @BeforeAll
    static void requireFuse() {
        FuseTestSupport.requireFuse();
    }

    @Test
    void offByDefault() {
        runner().run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(FuseMount.class).doesNotHaveBean(FuseProperties.class);
            assertThat(MountTable.at(dir.resolve("mnt"))).isEmpty();
        });
    }

    @Test
    void enabledItMountsUnderTheDataDirectoryUntilTheContextCloses() throws Exception {
        UUID id = UUID.randomUUID();
        byte[] data = new byte[8192];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        devices.put(id, new BlockDevice() {
            @Override
            public long size() {
                return data.length;
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                dst.put(ByteBuffer.wrap(data, (int) offset, dst.remaining()));
            }

            @Override
            public void write(long offset, ByteBuffer src) {
                src.get(data, (int) offset, src.remaining());
            }

            @Override
            public void writeZeroes(long offset, long length) {
                java.util.Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
            }

            @Override
            public void flush() {
            }
        });
        Path mnt = MountTable.canonical(dir.resolve("mnt"));
        runner().withPropertyValues("bootswarm.agent.fuse.enabled=true").run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(FuseMount.class);
            FuseMount mount = ctx.getBean(FuseMount.class);
            assertThat(mount.mountPoint()).isEqualTo(mnt);
            assertThat(mount.isMounted()).isTrue();
            assertThat(mount.directIo()).isTrue();
            Path file = mount.pathOf(id).orElseThrow();
            assertThat(file).isEqualTo(mnt.resolve(id.toString()).resolve("disk.img"));
            assertThat(Files.readAllBytes(file)).isEqualTo(data);
            assertThat(mount.pathOf(UUID.randomUUID())).isEmpty();
            assertThat(ctx.getBean(MeterRegistry.class).get("bootswarm.fuse.read.bytes").functionCounter().count())
                    .isEqualTo(data.length);
        });
        assertThat(MountTable.at(mnt)).as("unmounted when the context closed").isEmpty();
    }

    @Test
    void settingsBindAndAMountThatCannotHappenStopsTheStartWithWhatToDo() {
        Path custom = dir.resolve("elsewhere");
        runner().withPropertyValues("bootswarm.agent.fuse.enabled=true", "bootswarm.agent.fuse.mount-point=" + custom,
                "bootswarm.agent.fuse.file-mode=0644", "bootswarm.agent.fuse.max-threads=8",
                "bootswarm.agent.fuse.library-path=" + dir.resolve("no-libfuse3.so")).run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause()
                    .hasMessageContaining("libfuse3 not found at bootswarm.agent.fuse.library-path");
        });
        runner().withPropertyValues("bootswarm.agent.fuse.enabled=true", "bootswarm.agent.fuse.mount-point=" + custom,
                "bootswarm.agent.fuse.file-mode=0644", "bootswarm.agent.fuse.max-threads=8").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            FuseProperties p = ctx.getBean(FuseProperties.class);
            assertThat(p.filePermissions()).isEqualTo(0644);
            assertThat(p.maxThreads()).isEqualTo(8);
            assertThat(p.directIo()).isTrue();
            assertThat(ctx.getBean(FuseMount.class).mountPoint()).isEqualTo(MountTable.canonical(custom));
        });
        runner().withPropertyValues("bootswarm.agent.fuse.enabled=true", "bootswarm.agent.fuse.file-mode=rw").run(ctx ->
                assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("octal"));
    }
}
