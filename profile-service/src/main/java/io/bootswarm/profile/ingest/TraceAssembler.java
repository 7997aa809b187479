package io.bootswarm.profile.ingest;

import io.bootswarm.common.events.AccessTrace;
import io.bootswarm.profile.ProfileProperties;
import io.bootswarm.profile.model.FirstAccess;
import io.bootswarm.profile.model.InvalidTraceException;
import io.bootswarm.profile.model.TraceLimits;
import io.bootswarm.profile.model.TraceRun;
import io.bootswarm.profile.model.WorkloadNames;
import io.bootswarm.profile.store.ProfileStore;
import io.bootswarm.profile.store.RunSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.ByteBuffer;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Assembles access traces from their Kafka chunks. Each chunk is stored (at most once: trace id and
 * chunk number are the key, so a redelivery changes nothing); when chunks {@code 0..last} are all
 * there, the trace becomes a run of its profile and its chunks are dropped, in the same transaction.
 * A chunk whose metadata disagree with the chunks of its trace already stored, or whose values are
 * absurd, is not stored. Chunks of a trace already applied are ignored. A chunk that would take its trace past
 * {@link IngestProperties#maxReadsPerTrace()} reads is refused and the trace's stored chunks are dropped, before
 * anything is assembled (logged, counted in {@code bootswarm.profile.traces.refused{reason=too-large}}).
 */
@Component
public class TraceAssembler {

    private static final Logger log = LoggerFactory.getLogger(TraceAssembler.class);

    /** What became of a chunk. */
    public enum Outcome {
        /** stored; the trace is still incomplete */
        STORED,
        /** it completed its trace, which was applied to its profile */
        APPLIED,
        /** already stored, or its trace already applied: nothing changed */
        DUPLICATE,
        /** missing ids, a bad workload name, absurd values: not stored */
        INVALID,
        /** disagrees with the chunks of its trace already stored: not stored */
        INCONSISTENT,
        /** it would take its trace past the most reads a trace may hold: not stored, and the trace's chunks dropped */
        TOO_LARGE,
        /** it completed its trace, but the trace cannot be a run (no reads, too many pieces, another piece
         *  size than its profile's): the trace's chunks were dropped */
        REJECTED
    }

    /** The metadata of a stored chunk. */
    private record Stored(int chunk, boolean last, UUID launchId, String host, UUID imageId, String workload,
                          int pieceSize, int readCount) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ProfileStore profiles;
    private final ProfileProperties properties;
    private final TraceLimits limits;
    private final Clock clock;
    private final int maxReadsPerTrace;
    private final Counter tooLarge;

    TraceAssembler(JdbcTemplate jdbc, PlatformTransactionManager txManager, ProfileStore profiles,
                   ProfileProperties properties, IngestProperties ingest, Clock clock, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(txManager);
        this.profiles = profiles;
        this.properties = properties;
        this.limits = properties.traceLimits();
        this.clock = clock;
        this.maxReadsPerTrace = ingest.maxReadsPerTrace();
        this.tooLarge = Counter.builder("bootswarm.profile.traces.refused").tag("reason", "too-large")
                .description("Kafka access traces refused, by reason").register(meters);
    }

    public Outcome accept(AccessTrace c) {
        String invalid = invalid(c);
        if (invalid != null) {
            log.warn("skipping access trace chunk {} of trace {}: {}", c.chunk(), c.traceId(), invalid);
            return Outcome.INVALID;
        }
        return tx.execute(status -> {
            // one trace at a time, even if a rebalance hands its partition to two consumers for a moment
            lockTrace(c.traceId());
            if (exists("select 1 from profile_run where trace_id = ?", c.traceId())) {
                return Outcome.DUPLICATE;
            }
            List<Stored> stored = jdbc.query("""
                    select chunk, last, launch_id, host, image_id, workload, piece_size, read_count
                    from trace_chunk where trace_id = ? order by chunk""",
                    (rs, i) -> new Stored(rs.getInt(1), rs.getBoolean(2), rs.getObject(3, UUID.class), rs.getString(4),
                            rs.getObject(5, UUID.class), rs.getString(6), rs.getInt(7), rs.getInt(8)), c.traceId());
            if (stored.stream().anyMatch(s -> s.chunk() == c.chunk())) {
                return Outcome.DUPLICATE;
            }
            String disagreement = disagreement(c, stored);
            if (disagreement != null) {
                log.warn("skipping access trace chunk {} of trace {}: {}", c.chunk(), c.traceId(), disagreement);
                return Outcome.INCONSISTENT;
            }
            long reads = stored.stream().mapToLong(Stored::readCount).sum() + c.readCount();
            if (reads > maxReadsPerTrace) {
                int dropped = jdbc.update("delete from trace_chunk where trace_id = ?", c.traceId());
                tooLarge.increment();
                log.warn("refusing access trace {} ({} {}) from {}: chunk {} takes it to {} reads, more than {}; "
                                + "{} stored chunks dropped", c.traceId(), c.imageId(), c.workload(), c.host(), c.chunk(),
                        reads, maxReadsPerTrace, dropped);
                return Outcome.TOO_LARGE;
            }
            insert(c);
            int last = c.last() ? c.chunk()
                    : stored.stream().filter(Stored::last).mapToInt(Stored::chunk).findFirst().orElse(-1);
            if (last < 0 || stored.size() + 1 < last + 1) {
                return Outcome.STORED;
            }
            return complete(c);
        });
    }

    /** All chunks are there: the trace becomes a run (or is rejected), and its chunks go. */
    private Outcome complete(AccessTrace c) {
        List<long[]> parts = jdbc.query("select reads from trace_chunk where trace_id = ? order by chunk",
                (rs, i) -> unpack(rs.getBytes(1)), c.traceId());
        jdbc.update("delete from trace_chunk where trace_id = ?", c.traceId());
        long[] reads = new long[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, reads, at, p.length);
            at += p.length;
        }
        TraceRun run;
        try {
            run = FirstAccess.compute(reads, c.pieceSize(), -1, limits);
        } catch (InvalidTraceException e) {
            log.warn("dropping access trace {} ({} {}): read {}: {}", c.traceId(), c.imageId(), c.workload(),
                    e.readIndex(), e.getMessage());
            return Outcome.REJECTED;
        }
        if (run.piecesTouched() == 0) {
            log.warn("dropping access trace {} ({} {}): its {} reads touch no piece", c.traceId(), c.imageId(),
                    c.workload(), run.readCount());
            return Outcome.REJECTED;
        }
        ProfileStore.Applied applied = profiles.apply(new ProfileStore.NewRun(c.traceId(), c.imageId(), c.workload(),
                c.pieceSize(), RunSource.KAFKA, c.launchId(), c.host(), run));
        switch (applied.outcome()) {
            case APPLIED -> {
                log.info("access trace {} from {} (launch {}) applied to profile {} {}: {} reads, {} pieces; "
                                + "profile now {} runs, {} pieces", c.traceId(), c.host(), c.launchId(), c.imageId(),
                        c.workload(), run.readCount(), run.piecesTouched(), applied.profile().runs(),
                        applied.profile().pieces());
                return Outcome.APPLIED;
            }
            case DUPLICATE -> {
                return Outcome.DUPLICATE;
            }
            default -> {
                log.warn("dropping access trace {}: piece size {} differs from profile {} {}'s {}", c.traceId(),
                        c.pieceSize(), c.imageId(), c.workload(), applied.profile().pieceSize());
                return Outcome.REJECTED;
            }
        }
    }

    /** What makes a chunk unusable on its own, or null. */
    private String invalid(AccessTrace c) {
        if (c.traceId() == null || c.imageId() == null) {
            return "no trace id or image id";
        }
        if (!WorkloadNames.isValid(c.workload())) {
            return "workload '" + c.workload() + "' does not match " + WorkloadNames.PATTERN;
        }
        if (c.chunk() < 0 || c.chunk() >= properties.maxChunksPerTrace()) {
            return "chunk number " + c.chunk() + " is not in [0, " + properties.maxChunksPerTrace() + ")";
        }
        if (c.host() != null && (c.host().isEmpty() || c.host().length() > 255)) {
            return "host name is empty or longer than 255 characters";
        }
        if (c.reads() != null && c.readCount() > properties.maxReadsPerChunk()) {
            return c.readCount() + " reads, more than " + properties.maxReadsPerChunk() + " per chunk";
        }
        try {
            FirstAccess.check(c.reads(), c.pieceSize(), limits);
        } catch (InvalidTraceException e) {
            return e.readIndex() >= 0 ? "read " + e.readIndex() + ": " + e.getMessage() : e.getMessage();
        }
        return null;
    }

    /** How a chunk disagrees with its trace's chunks already stored, or null. */
    private static String disagreement(AccessTrace c, List<Stored> stored) {
        if (stored.isEmpty()) {
            return null;
        }
        Stored s = stored.getFirst();
        if (!s.imageId().equals(c.imageId()) || !s.workload().equals(c.workload()) || s.pieceSize() != c.pieceSize()
                || !Objects.equals(s.launchId(), c.launchId()) || !Objects.equals(s.host(), c.host())) {
            return "its image, workload, piece size, launch or host differ from those of chunk " + s.chunk();
        }
        int last = stored.stream().filter(Stored::last).mapToInt(Stored::chunk).findFirst().orElse(-1);
        int highest = stored.getLast().chunk();
        if (last >= 0 && c.last()) {
            return "chunk " + last + " is already the last";
        }
        if (last >= 0 && c.chunk() > last) {
            return "it comes after the last chunk " + last;
        }
        if (c.last() && highest > c.chunk()) {
            return "it says it is the last, but chunk " + highest + " exists";
        }
        return null;
    }

    private void insert(AccessTrace c) {
        long[] reads = c.reads() == null ? new long[0] : c.reads();
        jdbc.update("""
                insert into trace_chunk (trace_id, chunk, last, launch_id, host, image_id, workload, piece_size,
                                         read_count, reads, received_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing""",
                c.traceId(), c.chunk(), c.last(), c.launchId(), c.host(), c.imageId(), c.workload(), c.pieceSize(),
                reads.length / 3, pack(reads), Timestamp.from(clock.instant()));
    }

    /** Drops incomplete traces whose latest chunk arrived before {@code cutoff}; returns how many. */
    public int purgeBefore(Instant cutoff) {
        List<UUID> stale = jdbc.queryForList("""
                select trace_id from trace_chunk group by trace_id having max(received_at) < ?""",
                UUID.class, Timestamp.from(cutoff));
        int purged = 0;
        for (UUID trace : stale) {
            Integer n = tx.execute(status -> {
                lockTrace(trace);
                return jdbc.update("""
                        delete from trace_chunk where trace_id = ?
                        and (select max(received_at) from trace_chunk where trace_id = ?) < ?""",
                        trace, trace, Timestamp.from(cutoff));
            });
            if (n != null && n > 0) {
                purged++;
                log.warn("purged incomplete access trace {} ({} chunks, none newer than {})", trace, n, cutoff);
            }
        }
        return purged;
    }

    /** Traces with chunks waiting for the rest. */
    public long pending() {
        Long n = jdbc.queryForObject("select count(distinct trace_id) from trace_chunk", Long.class);
        return n == null ? 0 : n;
    }

    /** A transaction-scoped lock on one trace id. */
    private void lockTrace(UUID trace) {
        jdbc.query("select pg_advisory_xact_lock(?)", rs -> null,
                trace.getMostSignificantBits() ^ trace.getLeastSignificantBits());
    }

    private boolean exists(String sql, Object... args) {
        return !jdbc.queryForList(sql, args).isEmpty();
    }

    static byte[] pack(long[] reads) {
        ByteBuffer b = ByteBuffer.allocate(reads.length * Long.BYTES);
        b.asLongBuffer().put(reads);
        return b.array();
    }

    static long[] unpack(byte[] bytes) {
        long[] reads = new long[bytes.length / Long.BYTES];
        ByteBuffer.wrap(bytes).asLongBuffer().get(reads);
        return reads;
    }
}
