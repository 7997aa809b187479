package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.SwarmId;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cross-image index ({@code image_piece}: every image's non-zero pieces by SHA-256) and what is
 * read from it: which images share pieces, and the piece groups. Pieces are named by content, so the
 * same piece in two images is one piece; an image that holds a piece twice counts it once.
 *
 * <p>The catalog {@link #version()} names the set of images; since images never change, it also
 * names every group. Piece groups are computed per image with one query through the hash index
 * (the image's pieces, and for each the set of images containing it) and kept per image until the
 * version changes.
 */
@Component
public class PieceIndex {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate snapshot;
    private final Map<UUID, ImageGroups> groups = new ConcurrentHashMap<>();

    PieceIndex(JdbcTemplate jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.snapshot = new TransactionTemplate(transactions);
        snapshot.setReadOnly(true);
        // the version and the groups come from one snapshot of the catalog
        snapshot.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
    }

    /**
     * Indexes the pieces of image {@code id}, whose row is already written, from its manifest
     * columns (as the V2 migration backfilled older images). Runs in the caller's transaction.
     */
    void record(UUID id) {
        jdbc.update("""
                insert into image_piece (image_id, piece_index, hash, length)
                select i.id, p.n, substring(i.sha256_hashes from p.n * 32 + 1 for 32),
                       least(i.piece_size::bigint, i.size - p.n::bigint * i.piece_size)::integer
                from image i
                cross join lateral generate_series(0, i.piece_count - 1) as p(n)
                where i.id = ? and get_byte(i.zero_bitfield, p.n / 8) & (128 >> (p.n % 8)) = 0""", id);
    }

    /**
     * The catalog version: 16 hex digits, the first 8 bytes of the SHA-256 of the catalogued image
     * ids (lowercase text, sorted, joined by ','). It changes exactly when an image is added or
     * deleted, and with it the piece groups may change.
     */
    public String version() {
        List<UUID> ids = jdbc.queryForList("select id from image", UUID.class);
        String joined = String.join(",", PieceGroup.sorted(ids).stream().map(UUID::toString).toList());
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The images sharing non-zero pieces with image {@code id}, most shared bytes first (images
     * sharing nothing are not listed).
     *
     * @throws io.bootswarm.common.web.ProblemException 404 if there is no such image
     */
    public List<SimilarImage> similar(UUID id) {
        return snapshot.execute(status -> {
            requireImage(id);
            return jdbc.query("""
                    with mine as (select distinct hash, length from image_piece where image_id = ?),
                         shared as (
                             select s.image_id, count(*) as pieces, sum(s.length) as bytes
                             from (select distinct p.image_id, m.hash, m.length
                                   from mine m join image_piece p on p.hash = m.hash
                                   where p.image_id <> ?) s
                             group by s.image_id),
                         totals as (
                             select p.image_id, count(distinct p.hash) as pieces
                             from image_piece p
                             where p.image_id in (select image_id from shared)
                             group by p.image_id)
                    select i.id, i.name, i.swarm_id, sh.pieces, sh.bytes, t.pieces as other_pieces,
                           (select count(*) from mine) as own_pieces
                    from shared sh
                    join totals t on t.image_id = sh.image_id
                    join image i on i.id = sh.image_id
                    order by sh.bytes desc, i.name""", (rs, n) -> {
                long shared = rs.getLong("pieces");
                return new SimilarImage(rs.getObject("id", UUID.class), rs.getString("name"),
                        SwarmId.of(rs.getBytes("swarm_id")).hex(), shared, rs.getLong("bytes"),
                        (double) shared / rs.getLong("own_pieces"), (double) shared / rs.getLong("other_pieces"));
            }, id, id);
        });
    }

    /**
     * The swarms of the images sharing pieces with the image of {@code swarm}, most shared first.
     *
     * @throws io.bootswarm.common.web.ProblemException 404 if no image has that swarm id
     */
    public List<RelatedSwarm> related(SwarmId swarm) {
        List<UUID> image = jdbc.queryForList("select id from image where swarm_id = ?", UUID.class, swarm.toBytes());
        if (image.isEmpty()) {
            throw io.bootswarm.common.web.ProblemException.notFound("swarm-not-found",
                    "no image has swarm id " + swarm.hex()).with("swarmId", swarm.hex());
        }
        return similar(image.getFirst()).stream()
                .map(s -> new RelatedSwarm(s.swarmId(), s.imageId(), s.sharedPieces())).toList();
    }

    /**
     * The piece groups of image {@code id} at the current catalog version.
     *
     * @throws io.bootswarm.common.web.ProblemException 404 if there is no such image
     */
    public ImageGroups groups(UUID id) {
        ImageGroups known = groups.get(id);
        if (known != null && known.version().equals(version())) {
            return known;
        }
        ImageGroups fresh = snapshot.execute(status -> compute(id));
        groups.put(id, fresh);
        return fresh;
    }

    /** Forgets what was computed for a deleted image. */
    void forget(UUID id) {
        groups.remove(id);
    }

    private int requireImage(UUID id) {
        List<Integer> count = jdbc.queryForList("select piece_count from image where id = ?", Integer.class, id);
        if (count.isEmpty()) {
            throw Catalog.notFound(id);
        }
        return count.getFirst();
    }

    /** A group being assembled: its images, distinct pieces and bytes. */
    private static final class Acc {
        final List<UUID> images;
        final Set<PieceHash> hashes = new HashSet<>();
        long bytes;
        int index;

        Acc(List<UUID> images) {
            this.images = images;
        }
    }

    private ImageGroups compute(UUID id) {
        String version = version();
        int pieceCount = requireImage(id);
        int[] accOf = new int[pieceCount];
        Arrays.fill(accOf, -1);
        Map<List<UUID>, Acc> bySet = new LinkedHashMap<>();
        List<Acc> accs = new ArrayList<>();
        jdbc.query("""
                with mine as (select distinct hash from image_piece where image_id = ?),
                     sets as (select p.hash, array_agg(distinct p.image_id) as images
                              from image_piece p join mine m on m.hash = p.hash
                              group by p.hash)
                select p.piece_index, p.hash, p.length, s.images
                from image_piece p join sets s on s.hash = p.hash
                where p.image_id = ?""", rs -> {
            List<UUID> images = PieceGroup.sorted(uuids(rs.getArray("images")));
            Acc acc = bySet.computeIfAbsent(images, k -> {
                Acc a = new Acc(k);
                a.index = accs.size();
                accs.add(a);
                return a;
            });
            accOf[rs.getInt("piece_index")] = acc.index;
            if (acc.hashes.add(PieceHash.of(rs.getBytes("hash"), 0))) {
                acc.bytes += rs.getInt("length");
            }
        }, id, id);
        List<PieceGroup> groupList = new ArrayList<>(accs.size());
        List<Acc> order = new ArrayList<>(accs);
        List<String> ids = accs.stream().map(a -> PieceGroup.idOf(a.images)).toList();
        order.sort(Comparator.comparingLong((Acc a) -> -a.bytes).thenComparing(a -> ids.get(a.index)));
        int[] newIndex = new int[accs.size()];
        for (int i = 0; i < order.size(); i++) {
            Acc a = order.get(i);
            newIndex[a.index] = i;
            groupList.add(new PieceGroup(ids.get(a.index), a.images, a.hashes.size(), a.bytes));
        }
        int[] pieceGroup = new int[pieceCount];
        for (int p = 0; p < pieceCount; p++) {
            pieceGroup[p] = accOf[p] < 0 ? -1 : newIndex[accOf[p]];
        }
        return new ImageGroups(id, version, pieceCount, groupList, pieceGroup);
    }

    private static List<UUID> uuids(Array array) throws SQLException {
        Object[] values = (Object[]) array.getArray();
        List<UUID> out = new ArrayList<>(values.length);
        for (Object v : values) {
            out.add(v instanceof UUID u ? u : UUID.fromString(v.toString()));
        }
        return out;
    }
}
