package io.bootswarm.agent.trace;

import io.bootswarm.common.events.AccessTrace;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import io.bootswarm.testing.ManualClock;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;

import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What a published trace looks like on the topic: chunks, their keys, order, stamps and reads. */
class TracePublisherTest {

    final ManualClock clock = new ManualClock();
    final TracePublisher.TraceOrigin origin = new TracePublisher.TraceOrigin(UUID.randomUUID(), "host-1",
            UUID.randomUUID(), "boot", 256 * 1024);

    static KafkaTemplate<String, String> kafka(MockProducer<String, String> producer) {
        ProducerFactory<String, String> factory = () -> producer;
        return new KafkaTemplate<>(factory);
    }

    /** A producer the template may "close" after each send, as it closes a factory's shared producer (no-op). */
    static MockProducer<String, String> producer(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new StringSerializer(), new StringSerializer()) {
            @Override
            public void close() {
            }

            @Override
            public void close(java.time.Duration timeout) {
            }
        };
    }

    @Test
    void aTraceGoesOutInChunksKeyedByTraceIdInOrderStampedByTheClock() {
        MockProducer<String, String> producer = producer(true);
        int per = AccessTrace.MAX_READS_PER_CHUNK;
        long[] reads = LongStream.range(0, 3L * (2 * per + 5)).toArray(); // two full chunks and 5 reads

        UUID traceId = new TracePublisher(kafka(producer), clock).publish(origin, reads);

        List<ProducerRecord<String, String>> sent = producer.history();
        assertThat(sent).hasSize(3).allSatisfy(r -> {
            assertThat(r.topic()).isEqualTo(Topics.ACCESS_TRACES);
            assertThat(r.key()).isEqualTo(traceId.toString());
        });
        List<AccessTrace> chunks = sent.stream()
                .map(r -> (AccessTrace) EventCodec.decode(r.value()).orElseThrow()).toList();
        assertThat(chunks).extracting(AccessTrace::chunk).containsExactly(0, 1, 2);
        assertThat(chunks).extracting(AccessTrace::last).containsExactly(false, false, true);
        assertThat(chunks).extracting(AccessTrace::readCount).containsExactly(per, per, 5);
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.traceId()).isEqualTo(traceId);
            assertThat(c.at()).isEqualTo(clock.instant());
            assertThat(c.launchId()).isEqualTo(origin.launchId());
            assertThat(c.imageId()).isEqualTo(origin.imageId());
            assertThat(c.host()).isEqualTo("host-1");
            assertThat(c.workload()).isEqualTo("boot");
            assertThat(c.pieceSize()).isEqualTo(256 * 1024);
        });
        assertThat(chunks.get(2).reads()).containsExactly(LongStream.range(3L * 2 * per, reads.length).toArray());
        assertThat(chunks).extracting(AccessTrace::eventId).doesNotHaveDuplicates();
    }

    @Test
    void anEmptyTraceSendsNothing() {
        MockProducer<String, String> producer = producer(true);
        assertThat(new TracePublisher(kafka(producer), clock).publish(origin, new long[0])).isNull();
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aChunkKafkaRefusesFailsThePublication() {
        MockProducer<String, String> producer = producer(false);
        TracePublisher publisher = new TracePublisher(kafka(producer), clock);
        Thread.ofVirtual().start(() -> await().until(() -> producer.errorNext(
                new org.apache.kafka.common.errors.TimeoutException("broker gone"))));
        assertThatThrownBy(() -> publisher.publish(origin, new long[] {1, 2, 3}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Kafka did not take trace");
    }
}
