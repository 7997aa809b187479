package io.bootswarm.profile.ingest;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.events.AccessTrace;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.profile.ProfileITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** Agents' traces over Kafka: chunks assembled in any order, once, into runs; bad records skipped. */
class KafkaTracesIT extends ProfileITSupport {

    private static final int PIECE = 4096;
    private static TraceSender sender;

    @Autowired
    private MeterRegistry meters;

    @BeforeAll
    static void producer() {
        sender = new TraceSender(INFRA.kafka());
    }

    @AfterAll
    static void closeProducer() {
        sender.close();
    }

    private double chunks(String outcome) {
        return meters.get("bootswarm.profile.trace.chunks").tag("outcome", outcome).counter().count();
    }

    private long chunksOf(UUID traceId) {
        return jdbc.queryForObject("select count(*) from profile.trace_chunk where trace_id = ?", Long.class, traceId);
    }

    private String path(UUID image, String workload) {
        return "/api/v1/profiles/" + image + "/" + workload;
    }

    private Response awaitRuns(UUID image, String workload, int runs) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Response r = get(path(image, workload) + "/compact");
            return r.status() == 200 && r.<Integer>json("$.runs") == runs;
        });
        return get(path(image, workload) + "/compact");
    }

    @Test
    void threeTracesInChunksMakeTheProfileOnce() {
        UUID image = UUID.randomUUID();
        String workload = "boot";
        double appliedBefore = meters.get(RunMetrics.RUNS_APPLIED).tag("source", "kafka").counter().count();

        // run A: piece 0 at 0 s; one read over pieces 2 and 3 at 1 s; piece 1 at 5 s -- three chunks
        TraceSender.Trace a = TraceSender.Trace.of(image, workload, PIECE);
        List<AccessTrace> aChunks = a.chunks(1,
                0, 0, 4096,
                1_000_000, 8192, 8192,
                5_000_000, 4096, 1);
        // run B (lines out of time order): pieces 0 at 0, 1 at 3 s, 5 at 4 s, 2 at 2 s -- two chunks
        TraceSender.Trace b = TraceSender.Trace.of(image, workload, PIECE);
        List<AccessTrace> bChunks = b.chunks(2,
                0, 0, 512,
                3_000_000, 4096, 4096,
                4_000_000, 5 * 4096, 4096,
                2_000_000, 8192, 100);
        // run C: piece 0 at 10 ms, 3 at 7 s, 1 at 1 s, 0 again at 8 s -- one chunk
        TraceSender.Trace c = TraceSender.Trace.of(image, workload, PIECE);
        List<AccessTrace> cChunks = c.chunks(8,
                10_000, 0, 4096,
                7_000_000, 3 * 4096, 4096,
                1_000_000, 4096, 4096,
                8_000_000, 0, 4096);
        assertThat(aChunks).hasSize(3);
        assertThat(bChunks).hasSize(2);
        assertThat(cChunks).hasSize(1);

        // A out of order, chunk 0 twice: two chunks stored, nothing applied yet
        sender.send(aChunks.get(2));
        sender.send(aChunks.get(0));
        sender.send(aChunks.get(0));
        await().atMost(Duration.ofSeconds(30)).until(() -> chunksOf(a.traceId()) == 2);
        assertThat(get(path(image, workload) + "/compact").status()).isEqualTo(404);
        sender.send(aChunks.get(1));
        sender.send(bChunks.get(1));
        sender.send(bChunks.get(0));
        sender.send(cChunks.get(0));

        Response compact = awaitRuns(image, workload, 3);
        assertThat(compact.<String>json("$.imageId")).isEqualTo(image.toString());
        assertThat(compact.<String>json("$.workload")).isEqualTo(workload);
        assertThat(compact.<Integer>json("$.pieceSize")).isEqualTo(PIECE);
        assertThat(compact.<List<Integer>>json("$.pieces")).containsExactly(0, 2, 1, 3, 5);
        assertThat(compact.<List<Number>>json("$.meanFirstAccessMillis")).extracting(Number::longValue)
                .containsExactly(3L, 1500L, 3000L, 4000L, 4000L);
        assertThat(compact.<List<Number>>json("$.share")).extracting(Number::doubleValue)
                .containsExactly(1.0, 2.0 / 3, 1.0, 2.0 / 3, 1.0 / 3);
        assertThat(chunksOf(a.traceId()) + chunksOf(b.traceId()) + chunksOf(c.traceId())).isZero();

        Response detail = get(path(image, workload));
        assertThat(detail.status()).isEqualTo(200);
        assertThat(detail.<Integer>json("$.runs")).isEqualTo(3);
        assertThat(detail.<Integer>json("$.pieces")).isEqualTo(5);
        assertThat(detail.<Integer>json("$.rows.length()")).isEqualTo(5);
        assertThat(detail.<Double>json("$.rows[0].meanFirstAccessMillis")).isCloseTo(10.0 / 3, within(1e-9));
        assertThat(detail.<Integer>json("$.rows[1].piece")).isEqualTo(2);
        assertThat(detail.<Integer>json("$.rows[1].runs")).isEqualTo(2);
        assertThat(detail.<Double>json("$.rows[1].share")).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(detail.<Number>json("$.rows[4].meanFirstAccessMillis").doubleValue()).isEqualTo(4000.0);

        Response runs = get(path(image, workload) + "/runs");
        assertThat(runs.status()).isEqualTo(200);
        assertThat(runs.<Integer>json("$.totalElements")).isEqualTo(3);
        assertThat(runs.<List<String>>json("$.items[*].source")).containsOnly("KAFKA");
        assertThat(runs.<List<String>>json("$.items[*].traceId"))
                .containsExactlyInAnyOrder(a.traceId().toString(), b.traceId().toString(), c.traceId().toString());
        assertThat(runs.<List<String>>json("$.items[?(@.traceId == '" + b.traceId() + "')].host"))
                .containsExactly(b.host());
        assertThat(runs.<List<String>>json("$.items[?(@.traceId == '" + b.traceId() + "')].launchId"))
                .containsExactly(b.launchId().toString());
        assertThat(runs.<List<Integer>>json("$.items[?(@.traceId == '" + a.traceId() + "')].readCount"))
                .containsExactly(3);
        assertThat(runs.<List<Integer>>json("$.items[?(@.traceId == '" + c.traceId() + "')].piecesTouched"))
                .containsExactly(3);
        assertThat(runs.<List<Number>>json("$.items[?(@.traceId == '" + c.traceId() + "')].durationMillis"))
                .extracting(Number::doubleValue).containsExactly(8000.0);
        assertThat(meters.get(RunMetrics.RUNS_APPLIED).tag("source", "kafka").counter().count())
                .isEqualTo(appliedBefore + 3);

        // a redelivery of a whole applied trace changes nothing
        double duplicates = chunks("duplicate");
        aChunks.forEach(sender::send);
        await().atMost(Duration.ofSeconds(30)).until(() -> chunks("duplicate") >= duplicates + 3);
        assertThat(chunksOf(a.traceId())).isZero();
        assertThat(get(path(image, workload) + "/compact").<Integer>json("$.runs")).isEqualTo(3);
        assertThat(jdbc.queryForObject("select sum(pp.runs) from profile.profile_piece pp join profile.profile p "
                + "on p.id = pp.profile_id where p.image_id = ?", Long.class, image)).isEqualTo(3 + 2 + 3 + 2 + 1);
    }

    @Test
    void badRecordsAreSkippedAndTheListenerCarriesOn() {
        UUID image = UUID.randomUUID();
        double undecodable = chunks("undecodable");
        double invalid = chunks("invalid");
        double inconsistent = chunks("inconsistent");
        double rejected = chunks("rejected");

        // not JSON; JSON of an unknown type; another event type on this topic; an access trace without ids
        sender.sendRaw("x", "this is not json");
        sender.sendRaw("x", "{\"type\":\"access-trace.v9\",\"eventId\":\"" + UUID.randomUUID() + "\"}");
        LaunchStatus status = new LaunchStatus(UUID.randomUUID(), Instant.now(), UUID.randomUUID(), "h",
                LaunchStatus.State.READY, 1, null, null, 0, 0, 0, null);
        sender.sendRaw(status.key(), EventCodec.encode(status));
        sender.sendRaw("x", EventCodec.encode(TraceSender.Trace.of(image, "boot", PIECE).chunk(0, true, 0, 0, 1))
                .replaceAll("\"traceId\":\"[^\"]+\"", "\"traceId\":null"));
        // invalid on their own: bad workload, negative length, absurd piece size, negative chunk number
        sender.send(TraceSender.Trace.of(image, "Bad Name", PIECE).chunk(0, true, 0, 0, 1));
        sender.send(TraceSender.Trace.of(image, "boot", PIECE).chunk(0, true, 0, 0, -1));
        sender.send(TraceSender.Trace.of(image, "boot", 0).chunk(0, true, 0, 0, 1));
        sender.send(TraceSender.Trace.of(image, "boot", PIECE).chunk(-1, true, 0, 0, 1));
        // inconsistent: chunk 1 names another workload than chunk 0; then two chunks both "last"
        TraceSender.Trace e = TraceSender.Trace.of(image, "boot", PIECE);
        sender.send(e.chunk(0, false, 0, 0, 1));
        sender.send(new TraceSender.Trace(e.traceId(), e.launchId(), e.host(), image, "other", PIECE)
                .chunk(1, true, 0, 0, 1));
        TraceSender.Trace f = TraceSender.Trace.of(image, "boot", PIECE);
        sender.send(f.chunk(0, false, 0, 0, 1));
        sender.send(f.chunk(2, true, 0, 0, 1));
        sender.send(f.chunk(3, true, 0, 0, 1));
        // complete but not a run: no reads at all; only reads of no bytes
        TraceSender.Trace empty = TraceSender.Trace.of(image, "empty", PIECE);
        sender.send(empty.chunk(0, true));
        TraceSender.Trace nothing = TraceSender.Trace.of(image, "empty", PIECE);
        sender.send(nothing.chunk(0, false, 0, 0, 0));
        sender.send(nothing.chunk(1, true, 5, 4096, 0));

        await().atMost(Duration.ofSeconds(30)).until(() -> chunks("undecodable") >= undecodable + 3
                && chunks("invalid") >= invalid + 4 && chunks("inconsistent") >= inconsistent + 2
                && chunks("rejected") >= rejected + 2);
        assertThat(chunksOf(e.traceId())).isEqualTo(1);
        assertThat(chunksOf(f.traceId())).isEqualTo(2);
        assertThat(chunksOf(empty.traceId()) + chunksOf(nothing.traceId())).isZero();
        assertThat(jdbc.queryForObject("select count(*) from profile.profile where image_id = ?", Long.class, image))
                .isZero();

        // the listener is alive: a good trace is applied
        TraceSender.Trace good = TraceSender.Trace.of(image, "boot", PIECE);
        sender.send(good.chunk(0, true, 5, 0, 1));
        Response compact = awaitRuns(image, "boot", 1);
        assertThat(compact.<List<Integer>>json("$.pieces")).containsExactly(0);

        // a trace with another piece size than its profile's is dropped whole
        TraceSender.Trace other = TraceSender.Trace.of(image, "boot", 2 * PIECE);
        sender.send(other.chunk(1, true, 0, 0, 1));
        sender.send(other.chunk(0, false, 0, 8192, 1));
        await().atMost(Duration.ofSeconds(30)).until(() -> chunks("rejected") >= rejected + 3);
        assertThat(chunksOf(other.traceId())).isZero();
        assertThat(get(path(image, "boot") + "/compact").<Integer>json("$.runs")).isEqualTo(1);
    }
}
