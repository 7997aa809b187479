package io.bootswarm.agent.launch;

import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.manifest.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Disks survive an agent restart: each has a {@code disk.json} beside its overlay, and a new {@link Disks}
 * on the same directory reopens every one of them, with its launch, options and creation time, in the
 * format agents in the field have written (the field names may not change).
 */
class DisksRestoreTest {

    @TempDir
    Path dir;

    DisksFixture fixture;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new DisksFixture(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    @Test
    void aRestartedAgentReopensEveryDiskWithItsLaunchOptionsAndCreationTime() throws Exception {
        Manifest a = fixture.image(3);
        Manifest b = fixture.image(5);
        UUID launch = UUID.randomUUID();
        Disks before = fixture.start();
        Instant first = fixture.clock.instant();
        Disks.OpenDisk launched = before.create(a.imageId(), launch,
                new LaunchOptions("boot", LaunchOptions.Policy.DEMAND, 8, false));
        fixture.clock.advance(Duration.ofMinutes(1));
        Disks.OpenDisk local = before.create(b.imageId(), null, null);
        byte[] written = new byte[4096]; // one whole cluster of the overlay: nothing to read from the image first
        new java.util.Random(7).nextBytes(written);
        launched.disk().write(4096, ByteBuffer.wrap(written));
        launched.disk().flush();
        before.close();

        Disks after = fixture.start();

        assertThat(after.list()).extracting(Disks.OpenDisk::id).containsExactly(launch, local.id());
        Disks.OpenDisk reopened = after.find(launch).orElseThrow();
        assertThat(reopened.launchId()).contains(launch);
        assertThat(reopened.manifest().imageId()).isEqualTo(a.imageId());
        assertThat(reopened.options()).isEqualTo(new LaunchOptions("boot", LaunchOptions.Policy.DEMAND, 8, false));
        assertThat(reopened.record().createdAt()).isEqualTo(first);
        ByteBuffer read = ByteBuffer.allocate(written.length);
        reopened.disk().read(4096, read);
        assertThat(read.array()).as("the guest's flushed writes").isEqualTo(written);
        Disks.OpenDisk reopenedLocal = after.find(local.id()).orElseThrow();
        assertThat(reopenedLocal.launchId()).isEmpty();
        assertThat(reopenedLocal.options()).as("defaults, resolved when it was made")
                .isEqualTo(LaunchOptions.DEFAULTS.resolved());
    }

    @Test
    void aDiskJsonInTodaysFormatIsReadAsWritten() throws Exception {
        Manifest m = fixture.image(2);
        UUID id = UUID.randomUUID();
        UUID launch = id;
        write(id, """
                {"id":"%s","imageId":"%s","launchId":"%s",\
                "options":{"workload":"web-bench","policy":"PROFILE","window":4,"backgroundFill":false},\
                "createdAt":"2026-03-04T05:06:07.890123Z"}""".formatted(id, m.imageId(), launch));

        Disks disks = fixture.start();

        Disks.OpenDisk d = disks.find(id).orElseThrow();
        assertThat(d.launchId()).contains(launch);
        assertThat(d.options()).isEqualTo(new LaunchOptions("web-bench", LaunchOptions.Policy.PROFILE, 4, false));
        assertThat(d.record().createdAt()).isEqualTo(Instant.parse("2026-03-04T05:06:07.890123Z"));
        assertThat(DiskOptionsBody.of(d.options())).as("as the agent's API shows it")
                .isEqualTo(new DiskOptionsBody("web-bench", LaunchOptions.Policy.PROFILE, 4, false));
    }

    @Test
    void aDiskJsonWrittenBeforeDisksHadOptionsTakesTheDefaults() throws Exception {
        Manifest m = fixture.image(2);
        UUID id = UUID.randomUUID();
        write(id, """
                {"id":"%s","imageId":"%s","launchId":null,"createdAt":"2025-11-01T00:00:00Z"}"""
                .formatted(id, m.imageId()));

        Disks disks = fixture.start();

        assertThat(disks.find(id).orElseThrow().options()).isEqualTo(LaunchOptions.DEFAULTS.resolved());
    }

    @Test
    void anUnreadableDiskJsonIsSkippedAndTheOthersReopen() throws Exception {
        Manifest m = fixture.image(2);
        UUID broken = UUID.randomUUID();
        UUID unknownImage = UUID.randomUUID();
        UUID good = UUID.randomUUID();
        write(broken, "{\"id\":");
        write(unknownImage, """
                {"id":"%s","imageId":"%s","createdAt":"2026-01-01T00:00:00Z"}""".formatted(unknownImage, UUID.randomUUID()));
        write(good, """
                {"id":"%s","imageId":"%s","createdAt":"2026-01-01T00:00:00Z"}""".formatted(good, m.imageId()));

        Disks disks = fixture.start();

        assertThat(disks.list()).extracting(Disks.OpenDisk::id).containsExactly(good);
    }

    @Test
    void diskJsonKeepsItsFieldNames() throws Exception {
        Manifest m = fixture.image(2);
        UUID launch = UUID.randomUUID();
        fixture.start().create(m.imageId(), launch, new LaunchOptions(null, LaunchOptions.Policy.DEMAND, null, true));

        JsonNode json = JsonMapper.builder().build().readTree(
                fixture.disksDirectory().resolve(launch.toString()).resolve("disk.json").toFile());

        assertThat(json.propertyNames()).containsExactly("id", "imageId", "launchId", "options", "createdAt");
        assertThat(json.get("options").propertyNames()).containsExactly("workload", "policy", "window",
                "backgroundFill");
        assertThat(json.get("options").get("workload").asString()).isEqualTo("default");
        assertThat(json.get("options").get("policy").asString()).isEqualTo("DEMAND");
        assertThat(json.get("options").get("window").asInt()).isEqualTo(LaunchOptions.DEFAULT_WINDOW);
        assertThat(json.get("options").get("backgroundFill").asBoolean()).isTrue();
        assertThat(json.get("createdAt").asString()).isEqualTo(fixture.clock.instant().toString());
        assertThat(List.of(json.get("id").asString(), json.get("launchId").asString()))
                .containsOnly(launch.toString());
    }

    private void write(UUID id, String json) throws Exception {
        Path d = Files.createDirectories(fixture.disksDirectory().resolve(id.toString()));
        Files.writeString(d.resolve("disk.json"), json);
    }
}
