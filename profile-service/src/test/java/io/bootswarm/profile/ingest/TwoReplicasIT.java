package io.bootswarm.profile.ingest;

import io.bootswarm.common.events.Topics;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.profile.ProfileITSupport;
import io.bootswarm.profile.ProfileServiceApplication;
import io.bootswarm.testing.CloseContextsAtSessionEnd;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.MessageListenerContainer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A second profile-service replica needs nothing of its own: it joins the consumer group
 * {@code profile-service}, Kafka splits the access-trace partitions between the two, each trace (keyed by
 * its id) is assembled by the replica that owns its partition, and both apply runs to the same profile in
 * PostgreSQL without losing a count. When one replica stops, the other takes all partitions over.
 */
class TwoReplicasIT extends ProfileITSupport {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int PIECE = 4096;
    private static final int TRACES = 24;
    private static TraceSender sender;

    @Autowired
    private ApplicationContext first;

    @BeforeAll
    static void producer() {
        sender = new TraceSender(INFRA.kafka());
    }

    @AfterAll
    static void closeProducer() {
        sender.close();
    }

    private ConfigurableApplicationContext startSecond() {
        Map<String, String> p = new HashMap<>(INFRA.springProperties(DATABASE, KafkaUser.PROFILE));
        p.putAll(INFRA.clientProperties("profile", Set.of("viewer"), null));
        p.put("bootswarm.profile.seed-url", SEED.url());
        p.put("server.port", "0");
        ConfigurableApplicationContext c = ProfileServiceApplication.builder()
                .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        CloseContextsAtSessionEnd.register(c);
        return c;
    }

    private static Collection<TopicPartition> assigned(ApplicationContext c) {
        MessageListenerContainer container = c.getBean(KafkaListenerEndpointRegistry.class)
                .getListenerContainer("profile-access-traces");
        Collection<TopicPartition> partitions = container == null ? null : container.getAssignedPartitions();
        return partitions == null ? List.of() : partitions.stream()
                .filter(tp -> tp.topic().equals(Topics.ACCESS_TRACES)).toList();
    }

    private static double applied(ApplicationContext c) {
        return c.getBean(MeterRegistry.class).get(RunMetrics.RUNS_APPLIED).tag("source", "kafka").counter().count();
    }

    /** {@code n} traces of two chunks each, all of one (image, workload): pieces 0 and 1. */
    private static void send(UUID image, int n) {
        IntStream.range(0, n).mapToObj(i -> TraceSender.Trace.of(image, "boot", PIECE))
                .flatMap(t -> t.chunks(1, 0, 0, PIECE, 1_000_000, PIECE, PIECE).stream())
                .forEach(sender::send);
    }

    private long runs(UUID image) {
        Long n = jdbc.queryForObject("select coalesce(sum(p.runs), 0) from profile.profile p where p.image_id = ?",
                Long.class, image);
        return n == null ? 0 : n;
    }

    private List<Long> pieceRuns(UUID image) {
        return jdbc.queryForList("select pp.runs from profile.profile_piece pp join profile.profile p "
                + "on p.id = pp.profile_id where p.image_id = ? order by pp.piece", Long.class, image);
    }

    @Test
    void aSecondReplicaSharesThePartitionsAndTheSurvivorTakesThemAllWhenOneStops() {
        ConfigurableApplicationContext second = startSecond();
        await("both replicas own partitions").atMost(WAIT).until(() ->
                !assigned(first).isEmpty() && !assigned(second).isEmpty());
        Set<TopicPartition> union = new HashSet<>(assigned(first));
        assertThat(assigned(second)).doesNotContainAnyElementsOf(union);
        union.addAll(assigned(second));
        int partitions = union.size();
        assertThat(partitions).isGreaterThan(1);

        UUID image = UUID.randomUUID();
        double firstBefore = applied(first);
        double secondBefore = applied(second);
        send(image, TRACES);
        await("every trace applied").atMost(WAIT).until(() -> runs(image) == TRACES);
        assertThat(pieceRuns(image)).containsExactly((long) TRACES, (long) TRACES);
        assertThat(applied(first) - firstBefore).as("traces applied by the first replica").isPositive();
        assertThat(applied(second) - secondBefore).as("traces applied by the second replica").isPositive();
        assertThat(applied(first) - firstBefore + applied(second) - secondBefore).isEqualTo(TRACES);

        second.close();
        await("the survivor owns every partition").atMost(WAIT).until(() -> assigned(first).size() == partitions);
        double survivorBefore = applied(first);
        send(image, TRACES);
        await("every trace applied").atMost(WAIT).until(() -> runs(image) == 2L * TRACES);
        assertThat(pieceRuns(image)).containsExactly(2L * TRACES, 2L * TRACES);
        assertThat(applied(first) - survivorBefore).isEqualTo(TRACES);
        assertThat(jdbc.queryForObject("select count(*) from profile.trace_chunk where image_id = ?", Long.class,
                image)).isZero();
    }
}
