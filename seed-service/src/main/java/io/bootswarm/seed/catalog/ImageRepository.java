package io.bootswarm.seed.catalog;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The {@code image} table. Reads go through projections so that piece hashes are loaded only for manifests. */
interface ImageRepository extends JpaRepository<ImageEntity, UUID> {

    String ROW = "select new io.bootswarm.seed.catalog.ImageRow(i.id, i.name, i.size, i.pieceSize, i.pieceCount, "
            + "i.zeroPieceCount, i.nonZeroBytes, i.swarmId, i.createdAt, i.filePath) from ImageEntity i ";

    @Query(ROW + "order by i.name")
    List<ImageRow> rows();

    @Query(ROW + "where i.name = :name")
    List<ImageRow> rowsNamed(@Param("name") String name);

    @Query(ROW + "where i.id = :id")
    Optional<ImageRow> row(@Param("id") UUID id);

    @Query(ROW + "where i.swarmId = :swarmId")
    Optional<ImageRow> rowBySwarmId(@Param("swarmId") byte[] swarmId);

    @Query("select new io.bootswarm.seed.catalog.ManifestRow(i.id, i.name, i.size, i.pieceSize, i.swarmId, "
            + "i.sha256Hashes, i.zeroBitfield) from ImageEntity i where i.id = :id")
    Optional<ManifestRow> manifest(@Param("id") UUID id);

    boolean existsByName(String name);

    @Query("select new io.bootswarm.seed.catalog.StockClients(i.id, i.swarmId, i.stockClientsOpen) from ImageEntity i "
            + "where i.id = :id")
    Optional<StockClients> stockClients(@Param("id") UUID id);

    @Query("select new io.bootswarm.seed.catalog.StockClients(i.id, i.swarmId, i.stockClientsOpen) from ImageEntity i "
            + "where i.swarmId = :swarmId")
    Optional<StockClients> stockClientsBySwarmId(@Param("swarmId") byte[] swarmId);

    @Modifying
    @Query("update ImageEntity i set i.stockClientsOpen = :open where i.id = :id")
    int setStockClientsOpen(@Param("id") UUID id, @Param("open") boolean open);

    @Query("select new io.bootswarm.seed.catalog.TorrentRow(i.name, i.size, i.pieceSize, i.sha1Hashes) "
            + "from ImageEntity i where i.id = :id")
    Optional<TorrentRow> torrent(@Param("id") UUID id);

    @Modifying
    @Query("delete from ImageEntity i where i.id = :id")
    int deleteRow(@Param("id") UUID id);
}
