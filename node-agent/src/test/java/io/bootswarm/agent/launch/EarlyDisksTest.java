package io.bootswarm.agent.launch;

import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.common.manifest.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.clearInvocations;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * The early start's disks: reopened from the data directory without a swarm, they serve what the
 * host holds (flushed writes included) at once, a read of a missing piece waits for the swarm, and
 * {@link Disks} takes over the very same devices, so an NBD client connected early keeps its disk.
 */
class EarlyDisksTest {

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
    void reopenedDisksServeFlushedWritesBeforeTheSwarmAndAreTakenOverAsTheyAre() throws Exception {
        Manifest image = fixture.image(4);
        UUID launch = UUID.randomUUID();
        Disks before = fixture.start();
        Disks.OpenDisk created = before.create(image.imageId(), launch, null);
        byte[] written = new byte[4096];
        new Random(5).nextBytes(written);
        created.disk().write(DisksFixture.PIECE, ByteBuffer.wrap(written));
        created.disk().flush();
        before.close();
        clearInvocations(fixture.swarms);

        EarlyDisks early = EarlyDisks.reopen(fixture.disksDirectory(), fixture.manifests, fixture.store(), 1000);
        ExportHandover exports = new ExportHandover(Duration.ofSeconds(10));
        exports.serve(early.exports());
        BlockDevice device = exports.find(launch.toString()).orElseThrow();
        assertThat(exports.names()).containsExactly(launch.toString());
        ByteBuffer read = ByteBuffer.allocate(written.length);
        device.read(DisksFixture.PIECE, read);
        assertThat(read.array()).as("flushed writes, served before the swarm exists").isEqualTo(written);

        AtomicReference<Throwable> missingRead = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                device.read(0, ByteBuffer.allocate(512));
            } catch (Throwable t) {
                missingRead.set(t);
            }
        });
        await().until(() -> reader.getState() == Thread.State.TIMED_WAITING);
        SwarmSession session = mock(SwarmSession.class);
        doThrow(new java.io.IOException("the stand-in swarm has no pieces")).when(session).require(anyInt());
        when(fixture.swarms.session(any())).thenReturn(session);
        verify(fixture.swarms, never()).session(any());

        Disks after = fixture.start(early);
        exports.serve(after);

        assertThat(exports.find(launch.toString()).orElseThrow()).as("the device connected clients hold")
                .isSameAs(device);
        assertThat(after.find(launch).orElseThrow().session()).isSameAs(session);
        verify(session, timeout(10_000)).require(0);
        reader.join(10_000);
        assertThat(missingRead.get()).hasMessageContaining("the stand-in swarm has no pieces");
    }

    @Test
    void aNegotiationWaitsForTheDisksToBeReopened() throws Exception {
        ExportHandover exports = new ExportHandover(Duration.ofSeconds(30));
        AtomicReference<Object> found = new AtomicReference<>();
        Thread negotiation = Thread.ofPlatform().start(() -> found.set(exports.find("disk")));
        await().until(() -> negotiation.getState() == Thread.State.TIMED_WAITING);
        assertThat(found.get()).isNull();
        BlockDevice disk = mock(BlockDevice.class);
        exports.serve(io.bootswarm.agent.nbd.ExportLookup.of(java.util.Map.of("disk", disk)));
        negotiation.join(10_000);
        assertThat(found.get()).isEqualTo(java.util.Optional.of(disk));
        assertThat(new ExportHandover(Duration.ZERO).find("disk")).isEmpty();
    }
}
