package io.bootswarm.agent;

import io.bootswarm.agent.files.TestGroups;
import io.bootswarm.agent.launch.Disks;
import io.bootswarm.agent.manifest.SigningSeed;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.client.RestClient;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.agent.files.TestGroups.assertMode;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's own configuration, started on a data directory, creating a disk of an image whose
 * manifest a stub seed serves: every directory it made is 0700, every file 0600, the NBD socket 0660;
 * with {@code nbd.socket-group} the socket and the directory it is in have that group. Modes are
 * asserted, not access (the tests may run as root, which bypasses permission checks).
 */
class AgentFilesIT {

    private static final int PIECE = Manifest.DEFAULT_PIECE_SIZE;

    @TempDir
    Path tmp;

    private Path data;
    private Manifest manifest;
    private SigningSeed seed;

    /** What the agent's configuration expects from Spring Boot's auto-configuration. */
    @Configuration(proxyBeanMethods = false)
    static class Infrastructure {
        @Bean
        RestClient.Builder restClientBuilder() {
            return RestClient.builder();
        }

        @Bean
        RetryRegistry retryRegistry() {
            return RetryRegistry.ofDefaults();
        }

        @Bean
        CircuitBreakerRegistry circuitBreakerRegistry() {
            return CircuitBreakerRegistry.ofDefaults();
        }

        @Bean
        TimeLimiterRegistry timeLimiterRegistry() {
            return TimeLimiterRegistry.ofDefaults();
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        KafkaTemplate<String, String> kafkaTemplate() {
            return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9",
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, 200,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class)));
        }
    }

    @BeforeEach
    void seedWithOneImage() throws Exception {
        data = tmp.resolve("agent");
        byte[] image = new byte[3 * PIECE];
        new Random(5).nextBytes(image);
        manifest = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), "files-it");
        seed = new SigningSeed().serve(manifest);
    }

    @AfterEach
    void stopSeed() {
        seed.close();
    }

    private ApplicationContextRunner agent(String... properties) {
        return new ApplicationContextRunner()
                .withUserConfiguration(Infrastructure.class, AgentConfiguration.class)
                .withPropertyValues("bootswarm.agent.data-directory=" + data,
                        "bootswarm.agent.host-name=files-it", "bootswarm.agent.advertised-host=127.0.0.1",
                        "bootswarm.agent.seed-url=" + seed.url(),
                        "bootswarm.agent.tracker-url=http://127.0.0.1:9", "bootswarm.agent.profile-url=http://127.0.0.1:9",
                        "bootswarm.agent.peer-port=0", "bootswarm.agent.nbd.port=0",
                        "bootswarm.agent.report.enabled=false")
                .withPropertyValues(properties);
    }

    @Test
    void everythingTheAgentCreatesIsOwnerOnlyAndTheSocketIs0660() {
        agent().run(ctx -> {
            assertThat(ctx).hasNotFailed();
            UUID disk = ctx.getBean(Disks.class).create(manifest.imageId(), null, null).id();

            assertMode(data, "rwx------");
            assertMode(data.resolve("pieces"), "rwx------");
            assertMode(data.resolve("pieces/pieces.dat"), "rw-------");
            assertMode(data.resolve("pieces/index.log"), "rw-------");
            assertMode(data.resolve("manifests"), "rwx------");
            assertMode(data.resolve("manifests/" + manifest.imageId() + ".json"), "rw-------");
            assertMode(data.resolve("manifests/" + manifest.imageId() + ".sig"), "rw-------");
            assertMode(data.resolve("manifests/trusted-keys.json"), "rw-------");
            assertMode(data.resolve("disks"), "rwx------");
            Path diskDir = data.resolve("disks/" + disk);
            assertMode(diskDir, "rwx------");
            assertMode(diskDir.resolve("disk.json"), "rw-------");
            assertMode(diskDir.resolve("overlay.dat"), "rw-------");
            assertMode(diskDir.resolve("overlay.log"), "rw-------");
            assertMode(data.resolve("nbd.sock"), "rw-rw----");
        });
    }

    @Test
    void anExistingDataDirectoryAndTheStoresDirectoriesInItAreRestrictedToTheirOwner() throws Exception {
        for (String d : new String[] {"pieces", "manifests", "disks/old-disk"}) {
            Files.createDirectories(data.resolve(d));
        }
        for (String d : new String[] {"", "pieces", "manifests", "disks", "disks/old-disk"}) {
            TestGroups.chmod(data.resolve(d), "rwxr-xr-x");
        }
        agent().run(ctx -> {
            assertThat(ctx).hasNotFailed();
            for (String d : new String[] {"", "pieces", "manifests", "disks"}) {
                assertMode(data.resolve(d), "rwx------");
            }
        });
    }

    @Test
    void withASocketGroupTheSocketAndTheDataDirectoryItIsInHaveThatGroup() throws Exception {
        GroupPrincipal group = TestGroups.assignableOtherThanDefault(tmp);
        agent("bootswarm.agent.nbd.socket-group=" + group.getName()).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            ctx.getBean(Disks.class).create(manifest.imageId(), null, null);
            Path socket = data.resolve("nbd.sock");
            assertMode(socket, "rw-rw----");
            assertThat(TestGroups.group(socket)).isEqualTo(group);
            assertMode(data, "rwxr-x---");
            assertThat(TestGroups.group(data)).isEqualTo(group);
            assertMode(data.resolve("pieces"), "rwx------");
            assertMode(data.resolve("manifests"), "rwx------");
            assertMode(data.resolve("disks"), "rwx------");
        });
    }

    @Test
    void aSocketElsewhereGetsAGroupDirectoryAndTheDataDirectoryStaysOwnerOnly() throws Exception {
        GroupPrincipal group = TestGroups.assignableOtherThanDefault(tmp);
        Path socket = tmp.resolve("run/bootswarm/nbd.sock");
        agent("bootswarm.agent.nbd.socket-group=" + group.getName(), "bootswarm.agent.nbd.unix-socket=" + socket)
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertMode(data, "rwx------");
                    assertThat(TestGroups.group(data)).isNotEqualTo(group);
                    assertMode(socket, "rw-rw----");
                    assertThat(TestGroups.group(socket)).isEqualTo(group);
                    assertMode(socket.getParent(), "rwxr-x---");
                    assertThat(TestGroups.group(socket.getParent())).isEqualTo(group);
                });
    }

    @Test
    void anUnknownSocketGroupStopsTheStartWithWhatToSet() {
        agent("bootswarm.agent.nbd.socket-group=no-such-group-bootswarm").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining(
                    "bootswarm.agent.nbd.socket-group=no-such-group-bootswarm: no such group on this host");
            assertThat(data.resolve("nbd.sock")).doesNotExist();
        });
    }
}
