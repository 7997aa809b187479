package io.bootswarm.seed.catalog;

import io.bootswarm.infra.Infra;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The V2 migration indexes the images catalogued before it: a catalog at V1 with two images (one
 * with zero pieces, a short last piece and a piece size that is not 256 KiB) is migrated, and
 * {@code image_piece} must hold exactly their non-zero pieces with the right hashes and lengths.
 */
class PieceIndexBackfillIT {

    /** What the test writes as one V1 image row, and the pieces it expects indexed: "index:hash-hex:length". */
    private record V1Image(UUID id, int pieceSize, long size, boolean[] zero, byte[][] hashes) {

        int pieceCount() {
            return zero.length;
        }

        List<String> expectedRows() {
            List<String> rows = new ArrayList<>();
            for (int p = 0; p < pieceCount(); p++) {
                if (!zero[p]) {
                    rows.add(p + ":" + HexFormat.of().formatHex(hashes[p]) + ":"
                            + Math.min(pieceSize, size - (long) p * pieceSize));
                }
            }
            return rows;
        }
    }

    private static V1Image image(long seed, int pieceSize, long size, int... zeroPieces) throws Exception {
        int count = (int) ((size + pieceSize - 1) / pieceSize);
        boolean[] zero = new boolean[count];
        for (int z : zeroPieces) {
            zero[z] = true;
        }
        byte[][] hashes = new byte[count][];
        Random random = new Random(seed);
        for (int p = 0; p < count; p++) {
            byte[] content = new byte[8];
            random.nextBytes(content);
            hashes[p] = MessageDigest.getInstance("SHA-256").digest(content);
        }
        return new V1Image(UUID.randomUUID(), pieceSize, size, zero, hashes);
    }

    @Test
    void migratingToV2IndexesTheNonZeroPiecesOfEveryImage() throws Exception {
        Infra infra = Infra.shared();
        String url = infra.newDatabase("seed_backfill");
        DriverManagerDataSource ds = new DriverManagerDataSource(url, infra.postgres().username(),
                infra.postgres().password());
        Flyway.configure().dataSource(ds).schemas("seed").locations("classpath:db/migration/seed").target("1")
                .load().migrate();
        JdbcTemplate jdbc = new JdbcTemplate(ds);

        // 19 pieces of 64 KiB, the last one short, pieces 0, 8, 9 and 17 all-zero (bits across bytes)
        V1Image first = image(1, 65536, 18L * 65536 + 777, 0, 8, 9, 17);
        // 11 pieces of 256 KiB, none zero, the last one short
        V1Image second = image(2, 262144, 10L * 262144 + 5, new int[0]);
        for (V1Image i : List.of(first, second)) {
            insert(jdbc, i);
        }
        assertThat(jdbc.queryForObject("select count(*) from seed.image", Integer.class)).isEqualTo(2);

        Flyway.configure().dataSource(ds).schemas("seed").locations("classpath:db/migration/seed").load().migrate();

        for (V1Image i : List.of(first, second)) {
            List<String> rows = jdbc.query("select piece_index, hash, length from seed.image_piece where image_id = ? "
                    + "order by piece_index", (rs, n) -> rs.getInt(1) + ":" + HexFormat.of().formatHex(rs.getBytes(2))
                    + ":" + rs.getInt(3), i.id());
            assertThat(rows).isEqualTo(i.expectedRows());
        }
        assertThat(first.expectedRows()).hasSize(15).last().asString().startsWith("18:").endsWith(":777");
        assertThat(jdbc.queryForObject("select count(*) from seed.image_piece", Integer.class)).isEqualTo(15 + 11);
        // and the index goes with its image
        jdbc.update("delete from seed.image where id = ?", first.id());
        assertThat(jdbc.queryForObject("select count(*) from seed.image_piece", Integer.class)).isEqualTo(11);
    }

    private static void insert(JdbcTemplate jdbc, V1Image i) {
        int count = i.pieceCount();
        byte[] sha256 = new byte[32 * count];
        byte[] bitfield = new byte[(count + 7) / 8];
        int zeros = 0;
        long nonZero = 0;
        for (int p = 0; p < count; p++) {
            System.arraycopy(i.hashes()[p], 0, sha256, 32 * p, 32);
            if (i.zero()[p]) {
                bitfield[p / 8] |= (byte) (0x80 >>> (p % 8));
                zeros++;
            } else {
                nonZero += Math.min(i.pieceSize(), i.size() - (long) p * i.pieceSize());
            }
        }
        byte[] swarm = new byte[20];
        new Random(i.id().getLeastSignificantBits()).nextBytes(swarm);
        jdbc.update("""
                insert into seed.image (id, name, size, piece_size, piece_count, zero_piece_count, non_zero_bytes,
                    swarm_id, sha256_hashes, zero_bitfield, sha1_hashes, created_at, file_path)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                i.id(), "old-" + i.id().toString().substring(0, 8), i.size(), i.pieceSize(), count, zeros, nonZero,
                swarm, sha256, bitfield, new byte[20 * count], OffsetDateTime.now(), "images/" + i.id() + ".img");
    }
}
