package io.bootswarm.agent.launch;

import io.bootswarm.agent.AgentProperties;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.profile.ProfileClient;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.agent.trace.TracePublisher;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.testing.ManualClock;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * {@link Disks} on a directory of its own, with the real piece store and overlays but without a network:
 * the catalog knows the images {@link #image made here} (others are unknown, as the real catalog says), the
 * swarm sessions are stand-ins that fetch
 * nothing, and there is no profile-service (no profile: nothing to prefetch) and no Kafka.
 */
final class DisksFixture implements AutoCloseable {

    static final int PIECE = 64 * 1024;

    final Path directory;
    final ManualClock clock = new ManualClock();
    final ManifestCatalog manifests = mock(ManifestCatalog.class);
    final SwarmManager swarms = mock(SwarmManager.class);
    final ProfileClient profiles = mock(ProfileClient.class);
    final TracePublisher traces = mock(TracePublisher.class);
    final AgentProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
            "bootswarm.agent.host-name", "host-test"))).bindOrCreate("bootswarm.agent", AgentProperties.class);
    private final PieceStore store;
    private final List<Disks> opened = new ArrayList<>();

    DisksFixture(Path directory) throws IOException {
        this.directory = directory;
        this.store = PieceStore.open(directory.resolve("pieces"), PIECE, Duration.ofSeconds(1));
        when(manifests.get(any())).thenAnswer(i -> {
            throw new ManifestCatalog.UnknownImageException(i.getArgument(0));
        });
        when(swarms.store()).thenReturn(store);
        when(swarms.session(any())).thenAnswer(i -> mock(SwarmSession.class));
    }

    /** An image of {@code pieces} random pieces the catalog knows. */
    Manifest image(int pieces) throws IOException {
        byte[] bytes = new byte[pieces * PIECE];
        new Random(pieces).nextBytes(bytes);
        Manifest m = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(bytes), null, null)
                .manifest(UUID.randomUUID(), "image-" + pieces);
        doReturn(m).when(manifests).get(m.imageId());
        return m;
    }

    /** Disks as the agent opens them at start: every disk found under the directory is reopened. */
    Disks start() throws IOException {
        return start(null);
    }

    /** Disks as the agent opens them after its early start reopened {@code early}. */
    Disks start(EarlyDisks early) throws IOException {
        Disks d = new Disks(directory.resolve("disks"), manifests, swarms, properties, profiles, traces, () -> 10809,
                export -> { }, clock, early);
        opened.add(d);
        return d;
    }

    PieceStore store() {
        return store;
    }

    Path disksDirectory() {
        return directory.resolve("disks");
    }

    @Override
    public void close() throws IOException {
        opened.forEach(Disks::close);
        store.close();
    }
}
