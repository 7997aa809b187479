package io.bootswarm.agent.preheat;

import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.PreheatStatus;
import io.bootswarm.common.events.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends this host's {@link PreheatStatus} reports to the tracker on {@link Topics#LAUNCH_STATUS}. Sequence
 * numbers grow across agent restarts (they start from the wall clock in microseconds), as the launch reports' do.
 * Progress is sent without waiting (a lost one is superseded by the next); the final report waits for Kafka to
 * take it.
 */
public final class PreheatReporter {

    private static final Logger log = LoggerFactory.getLogger(PreheatReporter.class);

    private final KafkaTemplate<String, String> kafka;
    private final String host;
    private final AtomicLong sequence = new AtomicLong();

    public PreheatReporter(KafkaTemplate<String, String> kafka, String host) {
        this.kafka = kafka;
        this.host = host;
    }

    /** Reports where a preheat stands; waits for Kafka to take it when it has ended. */
    void report(UUID preheatId, Preheater.Progress p) {
        PreheatStatus.State state = PreheatStatus.State.valueOf(p.state().name());
        PreheatStatus s = new PreheatStatus(UUID.randomUUID(), Instant.now(), preheatId, host, state, nextSequence(),
                p.piecesDone(), p.piecesTotal(), p.bytesFetched(), p.detail());
        var sent = kafka.send(Topics.LAUNCH_STATUS, s.key(), EventCodec.encode(s));
        if (state != PreheatStatus.State.RUNNING) {
            try {
                sent.get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("preheat {}: Kafka did not take its {} report: {}", preheatId, state, e.toString());
            }
        }
    }

    private long nextSequence() {
        long now = System.currentTimeMillis() * 1000;
        return sequence.updateAndGet(s -> Math.max(s + 1, now));
    }
}
