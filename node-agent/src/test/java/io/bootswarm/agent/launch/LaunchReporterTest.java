package io.bootswarm.agent.launch;

import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.testing.ManualClock;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A launch status Kafka did not take is sent again, unchanged (same sequence), once the reporter's clock has
 * moved past its backoff, until Kafka takes it; then it is no longer kept.
 */
class LaunchReporterTest {

    private static final Duration INTERVAL = Duration.ofMillis(10);

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    final MockProducer<String, String> producer = new MockProducer<>(false, null, new StringSerializer(),
            new StringSerializer()) {
        @Override
        public void close() {
        }

        @Override
        public void close(Duration timeout) {
        }
    };
    DisksFixture fixture;
    LaunchReporter reporter;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new DisksFixture(dir);
        ProducerFactory<String, String> factory = () -> producer;
        reporter = new LaunchReporter(new KafkaTemplate<>(factory), fixture.start(), "host-r", INTERVAL, clock);
    }

    @AfterEach
    void tearDown() throws Exception {
        reporter.close();
        fixture.close();
    }

    private List<LaunchStatus> sent() {
        return producer.history().stream().map(ProducerRecord::value)
                .map(v -> (LaunchStatus) EventCodec.decode(v).orElseThrow()).toList();
    }

    @Test
    void aFailedReportKafkaDidNotTakeIsSentAgainUntilItIsTaken() {
        UUID launch = UUID.randomUUID();
        CompletableFuture<Void> failing = CompletableFuture.runAsync(() -> reporter.failed(launch, "no manifest"));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
        producer.errorNext(new TimeoutException("broker away"));
        assertThatThrownBy(failing::join).hasCauseInstanceOf(IllegalStateException.class);
        assertThat(reporter.unsent()).isEqualTo(1);

        clock.advance(INTERVAL.multipliedBy(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 2);
        producer.errorNext(new TimeoutException("still away"));
        clock.advance(LaunchReporter.MAX_RETRY_INTERVAL);
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 3);
        producer.completeNext();

        await().atMost(Duration.ofSeconds(10)).until(() -> reporter.unsent() == 0);
        List<LaunchStatus> sent = sent();
        assertThat(sent).extracting(LaunchStatus::state).containsOnly(LaunchStatus.State.FAILED);
        assertThat(sent).extracting(LaunchStatus::detail).containsOnly("no manifest");
        assertThat(sent).extracting(LaunchStatus::sequence).containsOnly(sent.getFirst().sequence());
        assertThat(sent).extracting(LaunchStatus::launchId).containsOnly(launch);
    }
}
