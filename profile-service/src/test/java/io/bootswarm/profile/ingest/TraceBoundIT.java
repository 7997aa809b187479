package io.bootswarm.profile.ingest;

import io.bootswarm.profile.ProfileITSupport;
import io.bootswarm.profile.ProfileProperties;
import io.bootswarm.profile.store.ProfileStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;

import java.time.Clock;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Kafka trace is bounded in reads as its chunks arrive, not once assembled: the chunk that would take it past
 * the bound is refused, the trace's stored chunks are dropped, and the refusal is counted; a trace exactly at the
 * bound becomes a run. An assembler with a bound of 5 reads over the service's own PostgreSQL.
 */
class TraceBoundIT extends ProfileITSupport {

    private static final int PIECE = 4096;

    @Autowired
    PlatformTransactionManager txManager;

    @Autowired
    ProfileStore profiles;

    @Autowired
    ProfileProperties properties;

    @Autowired
    Clock clock;

    @Autowired
    MeterRegistry meters;

    @Autowired
    IngestProperties defaults;

    private TraceAssembler assembler;

    @BeforeEach
    void assembler() {
        assembler = new TraceAssembler(jdbc, txManager, profiles, properties, new IngestProperties(5), clock, meters);
    }

    private long chunksOf(UUID traceId) {
        return jdbc.queryForObject("select count(*) from profile.trace_chunk where trace_id = ?", Long.class, traceId);
    }

    private double refused() {
        return meters.get("bootswarm.profile.traces.refused").tag("reason", "too-large").counter().count();
    }

    @Test
    void theDefaultBoundIsTwiceWhatAnAgentRecords() {
        assertThat(defaults.maxReadsPerTrace()).isEqualTo(2_097_152);
    }

    @Test
    void theChunkThatTakesATracePastTheBoundIsRefusedAndTheTraceDropped() {
        TraceSender.Trace t = TraceSender.Trace.of(UUID.randomUUID(), "boot", PIECE);
        double before = refused();

        assertThat(assembler.accept(t.chunk(0, false, 0, 0, 1, 1, PIECE, 1, 2, 2 * PIECE, 1)))
                .isEqualTo(TraceAssembler.Outcome.STORED);
        assertThat(assembler.accept(t.chunk(1, false, 3, 3 * PIECE, 1, 4, 4 * PIECE, 1, 5, 5 * PIECE, 1)))
                .isEqualTo(TraceAssembler.Outcome.TOO_LARGE);

        assertThat(chunksOf(t.traceId())).isZero();
        assertThat(refused()).isEqualTo(before + 1);
        assertThat(assembler.accept(t.chunk(2, true, 6, 6 * PIECE, 1))).as("the rest cannot complete it")
                .isEqualTo(TraceAssembler.Outcome.STORED);
    }

    @Test
    void aTraceExactlyAtTheBoundBecomesARun() {
        TraceSender.Trace t = TraceSender.Trace.of(UUID.randomUUID(), "boot", PIECE);
        double before = refused();

        assertThat(assembler.accept(t.chunk(0, false, 0, 0, 1, 1, PIECE, 1, 2, 2 * PIECE, 1)))
                .isEqualTo(TraceAssembler.Outcome.STORED);
        assertThat(assembler.accept(t.chunk(1, true, 3, 3 * PIECE, 1, 4, 4 * PIECE, 1)))
                .isEqualTo(TraceAssembler.Outcome.APPLIED);

        assertThat(chunksOf(t.traceId())).isZero();
        assertThat(refused()).isEqualTo(before);
    }
}
