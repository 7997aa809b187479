package io.bootswarm.tracker.replica;

import io.bootswarm.common.events.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * While Kafka does not take a send (here: the first send blocks, as it does for {@code max.block.ms} while the
 * broker is away), announces still hand their changes over at once, and the changes of one key queued meanwhile
 * leave as one record with the latest value (a tombstone when the peer stopped).
 */
class ReplicaLogTest {

    private final CountDownLatch brokerBack = new CountDownLatch(1);
    private final List<ProducerRecord<String, String>> sent = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private final KafkaTemplate<String, String> kafka = new KafkaTemplate<>(
            new DefaultKafkaProducerFactory<String, String>(Map.of())) {
        @Override
        public CompletableFuture<SendResult<String, String>> send(ProducerRecord<String, String> record) {
            try {
                brokerBack.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sent.add(record);
            return CompletableFuture.completedFuture(null);
        }
    };

    private ReplicaLog log(int maxPending) {
        return new ReplicaLog(kafka, new ReplicaProperties(true, null, null, maxPending), meters);
    }

    @Test
    @Timeout(30)
    void changesWaitingForTheBrokerDoNotHoldAnnouncesAndLeaveOncePerKeyWithTheLatestValue() throws Exception {
        ReplicaLog log = log(100);
        log.put("peer/s/first", "1");
        await().atMost(Duration.ofSeconds(10)).until(() -> meters.get("bootswarm.tracker.replica.pending").gauge().value() == 0);

        log.put("peer/s/a", "1");
        log.put("peer/s/b", "1");
        log.put("peer/s/a", "2");
        log.remove("peer/s/b");
        log.put("peer/s/a", "3");
        assertThat(meters.get("bootswarm.tracker.replica.pending").gauge().value()).isEqualTo(2.0);

        brokerBack.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 3);
        log.close();

        assertThat(sent).extracting(ProducerRecord::key).containsExactly("peer/s/first", "peer/s/a", "peer/s/b");
        assertThat(sent).extracting(ProducerRecord::value).containsExactly("1", "3", null);
        assertThat(sent).allSatisfy(r -> {
            assertThat(r.topic()).isEqualTo(Topics.SWARM_PEERS);
            assertThat(new String(r.headers().lastHeader(ReplicaLog.ORIGIN).value(), StandardCharsets.UTF_8))
                    .isEqualTo(log.origin());
        });
        assertThat(meters.get("bootswarm.tracker.replica.published").tag("outcome", "sent").counter().count()).isEqualTo(3);
    }

    @Test
    @Timeout(30)
    void aFullQueueDropsNewKeysAndCountsThemButStillTakesNewValuesOfQueuedOnes() throws Exception {
        ReplicaLog log = log(2);
        log.put("peer/s/first", "1");
        await().atMost(Duration.ofSeconds(10)).until(() -> meters.get("bootswarm.tracker.replica.pending").gauge().value() == 0);

        log.put("peer/s/a", "1");
        log.put("peer/s/b", "1");
        log.put("peer/s/c", "1");
        log.put("peer/s/a", "2");
        brokerBack.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 3);
        log.close();

        assertThat(sent).extracting(ProducerRecord::key).containsExactly("peer/s/first", "peer/s/a", "peer/s/b");
        assertThat(sent.get(1).value()).isEqualTo("2");
        assertThat(meters.get("bootswarm.tracker.replica.published").tag("outcome", "dropped").counter().count()).isEqualTo(1);
    }
}
