package io.bootswarm.profile.store;

import io.bootswarm.common.profile.ProfileDocument;
import io.bootswarm.profile.model.ProfileRow;
import io.bootswarm.profile.model.TraceRun;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The profiles in PostgreSQL. A run is applied in one transaction that locks the profile row (so
 * runs and deletions of one profile take turns): the profile is created if it is new, the run is
 * recorded (its id, the trace's, is unique: a trace counts once), each piece it read adds its
 * first-access time to the piece's sum and one to the piece's run count, and the profile's run count
 * goes up by one. Means and shares are read off these sums, exactly, over all runs so far.
 */
@Service
public class ProfileStore {

    /** A run to apply. {@code launchId} and {@code host} are known for Kafka traces only. */
    public record NewRun(UUID traceId, UUID imageId, String workload, int pieceSize, RunSource source,
                         UUID launchId, String host, TraceRun run) {
    }

    /** What applying a run did. */
    public enum Outcome {
        APPLIED,
        /** a run with this trace id is already part of a profile: nothing changed */
        DUPLICATE,
        /** the profile exists with another piece size: nothing changed */
        PIECE_SIZE_MISMATCH
    }

    /**
     * @param run              the run as recorded (when applied)
     * @param profile          the profile after the run (when applied), or as it stands (mismatch)
     */
    public record Applied(Outcome outcome, RunSummary run, ProfileSummary profile) {
    }

    /** A profile with its rows in profile order (by mean first-access time, ties by piece). */
    public record Detail(ProfileSummary summary, List<ProfileRow> rows) {
    }

    private static final String UPSERT_PIECES = """
            insert into profile_piece (profile_id, piece, first_access_sum_micros, runs)
            select ?, u.piece, u.first_access, 1 from unnest(?::integer[], ?::bigint[]) as u(piece, first_access)
            on conflict (profile_id, piece) do update
               set first_access_sum_micros = profile_piece.first_access_sum_micros + excluded.first_access_sum_micros,
                   runs = profile_piece.runs + 1""";

    private final ProfileRepository profiles;
    private final RunRepository runs;
    private final JdbcTemplate jdbc;
    private final Clock clock;

    ProfileStore(ProfileRepository profiles, RunRepository runs, JdbcTemplate jdbc, Clock clock) {
        this.profiles = profiles;
        this.runs = runs;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Applies one run (joining the caller's transaction, if any). */
    @Transactional
    public Applied apply(NewRun r) {
        if (r.run().readCount() <= 0 || r.run().piecesTouched() <= 0) {
            throw new IllegalStateException("a run needs at least one read of at least one byte");
        }
        Instant now = clock.instant();
        jdbc.update("""
                insert into profile (id, image_id, workload, piece_size, runs, pieces, created_at, updated_at)
                values (?, ?, ?, ?, 0, 0, ?, ?) on conflict (image_id, workload) do nothing""",
                UUID.randomUUID(), r.imageId(), r.workload(), r.pieceSize(), Timestamp.from(now), Timestamp.from(now));
        ProfileEntity profile = profiles.lock(r.imageId(), r.workload()).orElseThrow();
        if (profile.pieceSize() != r.pieceSize()) {
            return new Applied(Outcome.PIECE_SIZE_MISMATCH, null, profile.summary());
        }
        if (runs.existsById(r.traceId())) {
            return new Applied(Outcome.DUPLICATE, null, profile.summary());
        }
        RunEntity run = runs.save(new RunEntity(r.traceId(), profile.id(), r.source(), r.launchId(), r.host(),
                r.run().readCount(), r.run().piecesTouched(), r.run().durationMicros(), now));
        jdbc.update(UPSERT_PIECES, profile.id(), r.run().pieces(), r.run().firstAccessMicros());
        Integer pieces = jdbc.queryForObject("select count(*) from profile_piece where profile_id = ?",
                Integer.class, profile.id());
        profile.runApplied(pieces == null ? 0 : pieces, now);
        return new Applied(Outcome.APPLIED, run.summary(r.imageId(), r.workload()), profile.summary());
    }

    @Transactional(readOnly = true)
    public Optional<ProfileSummary> find(UUID imageId, String workload) {
        return profiles.findByImageIdAndWorkload(imageId, workload).map(ProfileEntity::summary);
    }

    /** The profile and all its rows, read from one snapshot. */
    @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
    public Optional<Detail> detail(UUID imageId, String workload) {
        return profiles.findByImageIdAndWorkload(imageId, workload)
                .map(p -> new Detail(p.summary(), rows(p.id())));
    }

    /** The compact form agents fetch, read from one snapshot. */
    @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
    public Optional<ProfileDocument> document(UUID imageId, String workload) {
        return profiles.findByImageIdAndWorkload(imageId, workload).map(p -> compact(p.summary(), rows(p.id())));
    }

    private static ProfileDocument compact(ProfileSummary profile, List<ProfileRow> rows) {
        int n = rows.size();
        int[] pieces = new int[n];
        long[] means = new long[n];
        double[] shares = new double[n];
        for (int i = 0; i < n; i++) {
            ProfileRow row = rows.get(i);
            pieces[i] = row.piece();
            means[i] = row.meanFirstAccessMillisRounded();
            shares[i] = row.share(profile.runs());
        }
        return new ProfileDocument(profile.imageId(), profile.workload(), profile.pieceSize(), profile.runs(), pieces,
                means, shares);
    }

    /** Profiles, most recently updated first, optionally of one image only. */
    @Transactional(readOnly = true)
    public Page<ProfileSummary> list(UUID imageId, int page, int size) {
        PageRequest request = PageRequest.of(page, size,
                Sort.by(Sort.Order.desc("updatedAt"), Sort.Order.asc("imageId"), Sort.Order.asc("workload")));
        return (imageId == null ? profiles.findAll(request) : profiles.findByImageId(imageId, request))
                .map(ProfileEntity::summary);
    }

    /** A profile's runs, most recent first; empty when there is no such profile. */
    @Transactional(readOnly = true)
    public Optional<Page<RunSummary>> runs(UUID imageId, String workload, int page, int size) {
        return profiles.findByImageIdAndWorkload(imageId, workload).map(p -> runs.findByProfileId(p.id(),
                        PageRequest.of(page, size, Sort.by(Sort.Order.desc("receivedAt"), Sort.Order.asc("traceId"))))
                .map(run -> run.summary(imageId, workload)));
    }

    /** Deletes a profile with its rows and runs; false when there was none. */
    @Transactional
    public boolean delete(UUID imageId, String workload) {
        Optional<ProfileEntity> profile = profiles.lock(imageId, workload);
        profile.ifPresent(p -> jdbc.update("delete from profile where id = ?", p.id()));
        return profile.isPresent();
    }

    public long count() {
        Long n = jdbc.queryForObject("select count(*) from profile", Long.class);
        return n == null ? 0 : n;
    }

    private List<ProfileRow> rows(UUID profileId) {
        List<ProfileRow> rows = new ArrayList<>(jdbc.query(
                "select piece, first_access_sum_micros, runs from profile_piece where profile_id = ?",
                (rs, i) -> new ProfileRow(rs.getInt(1), rs.getLong(2), rs.getInt(3)), profileId));
        rows.sort(ProfileRow.ORDER);
        return rows;
    }
}
