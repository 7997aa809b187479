package io.bootswarm.profile.ingest;

import io.bootswarm.common.events.AccessTrace;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import io.bootswarm.profile.store.RunSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Consumes agents' {@link AccessTrace} chunks (group {@code profile-service}) and hands them to the
 * {@link TraceAssembler}. Records that do not decode or are not access traces are logged and
 * skipped, as are chunks the assembler refuses; a database failure is retried by the container's
 * error handler (then the record is logged and skipped). The listener never stops on a bad record.
 */
@Component
class AccessTraceListener {

    private final TraceAssembler assembler;
    private final Counter undecodable;
    private final Map<TraceAssembler.Outcome, Counter> outcomes = new EnumMap<>(TraceAssembler.Outcome.class);
    private final Counter applied;

    AccessTraceListener(TraceAssembler assembler, MeterRegistry meters) {
        this.assembler = assembler;
        this.undecodable = chunks(meters, "undecodable");
        for (TraceAssembler.Outcome o : TraceAssembler.Outcome.values()) {
            outcomes.put(o, chunks(meters, o.name().toLowerCase()));
        }
        this.applied = RunMetrics.applied(meters, RunSource.KAFKA);
    }

    private static Counter chunks(MeterRegistry meters, String outcome) {
        return Counter.builder("bootswarm.profile.trace.chunks").description("access trace chunks consumed, by outcome")
                .tag("outcome", outcome).register(meters);
    }

    @KafkaListener(id = "profile-access-traces", topics = Topics.ACCESS_TRACES, groupId = "profile-service")
    void onRecord(ConsumerRecord<String, String> record) {
        Optional<AccessTrace> event = EventCodec.decode(record, AccessTrace.class, undecodable);
        if (event.isEmpty()) {
            return;
        }
        AccessTrace chunk = event.get();
        TraceAssembler.Outcome outcome = assembler.accept(chunk);
        outcomes.get(outcome).increment();
        if (outcome == TraceAssembler.Outcome.APPLIED) {
            applied.increment();
        }
    }
}
