package io.bootswarm.agent.launch;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.manifest.Manifest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

/**
 * Launch commands arrive at least once (the tracker's outbox resends after a crash, a consumer rebalance
 * replays): the agent applies them idempotently. The same START twice makes one disk and reports it
 * ready twice; a STOP removes it, and a STOP again changes nothing.
 */
class LaunchCommandListenerTest {

    private static final String HOST = "host-test";

    @TempDir
    Path dir;

    DisksFixture fixture;
    Disks disks;
    LaunchReporter reporter = mock(LaunchReporter.class);
    LaunchCommandListener listener;
    long offset;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new DisksFixture(dir);
        disks = fixture.start();
        listener = new LaunchCommandListener(disks, reporter, HOST);
    }

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    @Test
    void theSameStartDeliveredTwiceMakesOneDisk() throws Exception {
        Manifest m = fixture.image(4);
        UUID launch = UUID.randomUUID();
        String start = EventCodec.encode(LaunchCommand.of(UUID.randomUUID(), Instant.now(), launch, HOST,
                m.imageId(), LaunchCommand.Action.START, new LaunchOptions("boot", LaunchOptions.Policy.DEMAND, 2,
                        false)));

        deliver(start);
        deliver(start);

        assertThat(disks.list()).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(launch);
            assertThat(d.options()).isEqualTo(new LaunchOptions("boot", LaunchOptions.Policy.DEMAND, 2, false));
        });
        assertThat(diskDirectories()).containsExactly(launch.toString());
        verify(reporter, times(2)).ready(disks.find(launch).orElseThrow());
        verify(reporter, never()).failed(any(), anyString());
    }

    @Test
    void aResentStartWithAnotherEventIdIsStillTheSameLaunch() throws Exception {
        Manifest m = fixture.image(4);
        UUID launch = UUID.randomUUID();

        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, m.imageId(),
                LaunchCommand.Action.START)));
        Disks.OpenDisk first = disks.find(launch).orElseThrow();
        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, m.imageId(),
                LaunchCommand.Action.START)));

        assertThat(disks.list()).containsExactly(first);
        assertThat(diskDirectories()).containsExactly(launch.toString());
    }

    @Test
    void aStartForALaunchThatRunsAnotherImageFailsAndKeepsTheDisk() throws Exception {
        Manifest a = fixture.image(2);
        Manifest b = fixture.image(3);
        UUID launch = UUID.randomUUID();
        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, a.imageId(),
                LaunchCommand.Action.START)));

        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, b.imageId(),
                LaunchCommand.Action.START)));

        assertThat(disks.list()).singleElement().satisfies(d -> assertThat(d.manifest().imageId())
                .isEqualTo(a.imageId()));
        verify(reporter).failed(eq(launch), anyString());
    }

    @Test
    void theSameStopDeliveredTwiceRemovesTheDiskOnce() throws Exception {
        Manifest m = fixture.image(2);
        UUID launch = UUID.randomUUID();
        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, m.imageId(),
                LaunchCommand.Action.START)));
        String stop = EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST,
                m.imageId(), LaunchCommand.Action.STOP));

        deliver(stop);
        deliver(stop);

        assertThat(disks.list()).isEmpty();
        assertThat(diskDirectories()).isEmpty();
        verify(reporter, times(2)).stopped(launch, null);
    }

    @Test
    void aStopWithAReasonIsLoggedAndReportedWithIt() throws Exception {
        Manifest m = fixture.image(2);
        UUID launch = UUID.randomUUID();
        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, m.imageId(),
                LaunchCommand.Action.START)));
        Logger logger = (Logger) LoggerFactory.getLogger(LaunchCommandListener.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            deliver(EventCodec.encode(LaunchCommand.stop(UUID.randomUUID(), Instant.now(), launch, HOST, m.imageId(),
                    "image-deleted")));
        } finally {
            logger.detachAppender(log);
        }

        assertThat(disks.list()).isEmpty();
        assertThat(diskDirectories()).isEmpty();
        verify(reporter).stopped(launch, "image-deleted");
        assertThat(log.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).isEqualTo("launch " + launch + " stopped by the tracker: "
                    + "image-deleted (image " + m.imageId() + "); its disk is removed from this host");
        });
    }

    @Test
    void commandsForOtherHostsAndUndecodableRecordsAreSkipped() throws Exception {
        Manifest m = fixture.image(2);

        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), UUID.randomUUID(),
                "another-host", m.imageId(), LaunchCommand.Action.START)));
        deliver("{not json");

        assertThat(disks.list()).isEmpty();
        verify(reporter, never()).ready(any());
    }

    @Test
    void aStartWithoutAnImageIsReportedFailedAtOnceInsteadOfThrowing() throws Exception {
        UUID launch = UUID.randomUUID();

        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, null,
                LaunchCommand.Action.START)));

        assertThat(disks.list()).isEmpty();
        assertThat(diskDirectories()).isEmpty();
        verify(reporter).failed(eq(launch), eq("invalid launch command: no imageId"));
        verify(reporter, never()).ready(any());
    }

    @Test
    void aCommandWithoutAnActionIsReportedFailed() throws Exception {
        Manifest m = fixture.image(2);
        UUID launch = UUID.randomUUID();

        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), launch, HOST, m.imageId(),
                null)));

        assertThat(disks.list()).isEmpty();
        verify(reporter).failed(eq(launch), eq("invalid launch command: no action"));
    }

    @Test
    void aCommandForThisHostThatDoesNotDecodeIsReportedFailed() throws Exception {
        Manifest m = fixture.image(2);
        UUID launch = UUID.randomUUID();
        String newerPolicy = EventCodec.encode(LaunchCommand.of(UUID.randomUUID(), Instant.now(), launch, HOST,
                m.imageId(), LaunchCommand.Action.START, new LaunchOptions(null, LaunchOptions.Policy.DEMAND, null,
                        null))).replace("\"DEMAND\"", "\"SOME-FUTURE-POLICY\"");

        deliver(newerPolicy);

        assertThat(disks.list()).isEmpty();
        verify(reporter).failed(eq(launch), eq("invalid launch command: undecodable"));
    }

    @Test
    void aCommandWithoutALaunchIdIsSkippedWithoutADisk() throws Exception {
        Manifest m = fixture.image(2);

        deliver(EventCodec.encode(new LaunchCommand(UUID.randomUUID(), Instant.now(), null, HOST, m.imageId(),
                LaunchCommand.Action.START)));

        assertThat(disks.list()).isEmpty();
        assertThat(diskDirectories()).isEmpty();
        verify(reporter, never()).ready(any());
        verify(reporter, never()).failed(any(), anyString());
    }

    private void deliver(String value) {
        listener.on(new ConsumerRecord<>(Topics.LAUNCH_COMMANDS, 0, offset++, HOST, value));
    }

    private java.util.List<String> diskDirectories() throws Exception {
        try (Stream<Path> s = Files.list(fixture.disksDirectory())) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
        }
    }
}
