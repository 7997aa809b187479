package io.bootswarm.seed.catalog;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.events.ImageDeleted;
import io.bootswarm.common.events.ImageRegistered;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.manifest.TorrentMetainfo;
import io.bootswarm.common.outbox.Outbox;
import io.bootswarm.common.web.ProblemException;
import io.bootswarm.seed.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The image catalog: images in PostgreSQL (schema {@code seed}), their files in the storage
 * directory. Every change writes its Kafka event to the outbox in the same transaction.
 */
@Service
public class Catalog {

    private static final Logger log = LoggerFactory.getLogger(Catalog.class);

    private final ImageRepository images;
    private final CatalogWatch watch;
    private final Outbox outbox;
    private final Storage storage;
    private final UploadStatistics uploads;
    private final PieceHealth health;
    private final ApplicationEventPublisher events;
    private final TransactionTemplate tx;
    private final PieceIndex pieces;

    Catalog(ImageRepository images, Outbox outbox, Storage storage, UploadStatistics uploads, PieceHealth health,
            ApplicationEventPublisher events, TransactionTemplate tx, PieceIndex pieces, CatalogWatch watch) {
        this.watch = watch;
        this.health = health;
        this.pieces = pieces;
        this.images = images;
        this.outbox = outbox;
        this.storage = storage;
        this.uploads = uploads;
        this.events = events;
        this.tx = tx;
    }

    /**
     * Records an image whose file is already in place at {@code relativeFile}, indexes its pieces
     * ({@link PieceIndex}), and queues its {@link ImageRegistered} event. Runs in the caller's
     * transaction (or its own); after it commits, {@link CatalogChanged} tells whoever keeps piece
     * groups.
     *
     * @throws org.springframework.dao.DataIntegrityViolationException if the name (or swarm id) is taken
     */
    @Transactional(propagation = Propagation.REQUIRED)
    public ImageView add(UUID id, String name, PieceSplitter.Split split, String relativeFile) {
        ImageName.check(name);
        int count = split.pieceCount();
        byte[] hashes = new byte[count * PieceHash.BYTES];
        PieceHash[] sha256 = split.sha256();
        for (int i = 0; i < count; i++) {
            sha256[i].copyTo(hashes, i * PieceHash.BYTES);
        }
        int zeroCount = split.zero().cardinality();
        long nonZero = 0;
        for (int i = 0; i < count; i++) {
            if (!split.zero().contains(i)) {
                nonZero += Math.min(split.pieceSize(), split.size() - (long) i * split.pieceSize());
            }
        }
        SwarmId swarmId = split.swarmId(name);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        ImageEntity entity = new ImageEntity(id, name, split.size(), split.pieceSize(), count, zeroCount, nonZero,
                swarmId.toBytes(), hashes, split.zero().toBitfield(), split.sha1(), now, relativeFile);
        images.saveAndFlush(entity);
        pieces.record(id);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                events.publishEvent(new CatalogChanged(id, true));
            }
        });
        outbox.publish(Topics.IMAGES, new ImageRegistered(UUID.randomUUID(), now, id, name, split.size(),
                split.pieceSize(), count, zeroCount, swarmId.hex()));
        return view(entity.row());
    }

    /** Every image, by name; or the one named {@code name} (empty list if none). */
    @Transactional(readOnly = true)
    public List<ImageView> list(String name) {
        return list(name, null);
    }

    /**
     * Every image, by name; with {@code name} and/or {@code swarmId}, only the image that has them
     * (an empty list if none).
     */
    @Transactional(readOnly = true)
    public List<ImageView> list(String name, SwarmId swarmId) {
        List<ImageRow> rows = swarmId != null ? images.rowBySwarmId(swarmId.toBytes()).stream()
                .filter(r -> name == null || r.name().equals(name)).toList()
                : name == null ? images.rows() : images.rowsNamed(name);
        return rows.stream().map(this::view).toList();
    }

    /** @throws ProblemException 404 if there is no such image */
    @Transactional(readOnly = true)
    public ImageView get(UUID id) {
        return images.row(id).map(this::view).orElseThrow(() -> notFound(id));
    }

    /** True if an image is named {@code name}. */
    @Transactional(readOnly = true)
    public boolean exists(String name) {
        return images.existsByName(name);
    }

    /** True if image {@code id} exists. */
    @Transactional(readOnly = true)
    public boolean exists(UUID id) {
        return images.existsById(id);
    }

    /** Every image id with its file (for the storage check at startup). */
    @Transactional(readOnly = true)
    public List<ServableImage> servableImages() {
        return images.rows().stream().map(this::servable).toList();
    }

    /** The manifest agents fetch: piece hashes and zero pieces. @throws ProblemException 404 */
    @Transactional(readOnly = true)
    public ManifestDocument manifest(UUID id) {
        ManifestRow m = images.manifest(id).orElseThrow(() -> notFound(id));
        return new ManifestDocument(m.id(), m.name(), m.size(), m.pieceSize(), SwarmId.of(m.swarmId()).hex(),
                m.sha256Hashes(), m.zeroBitfield());
    }

    /**
     * The SHA-256 of every piece of image {@code id}, 32 bytes each, concatenated in piece order (what
     * the seed checks its own file against before serving it); empty if there is no such image.
     */
    @Transactional(readOnly = true)
    public Optional<byte[]> pieceHashes(UUID id) {
        return images.manifest(id).map(ManifestRow::sha256Hashes);
    }

    /** The image a peer names by swarm id, if it is catalogued. */
    @Transactional(readOnly = true)
    public Optional<ServableImage> findBySwarmId(SwarmId swarmId) {
        Optional<ServableImage> image = images.rowBySwarmId(swarmId.toBytes()).map(this::servable);
        image.ifPresent(i -> watch.lookedUp(i.id(), i.name(), swarmId));
        return image;
    }

    /** Whether image {@code id} is open to stock BitTorrent clients. @throws ProblemException 404 */
    @Transactional(readOnly = true)
    public StockClients stockClients(UUID id) {
        return images.stockClients(id).orElseThrow(() -> notFound(id));
    }

    /** Whether the image of {@code swarmId} is open to stock clients; empty if no image has that swarm. */
    @Transactional(readOnly = true)
    public Optional<StockClients> stockClients(SwarmId swarmId) {
        return images.stockClientsBySwarmId(swarmId.toBytes());
    }

    /**
     * Opens image {@code id} to stock BitTorrent clients or closes it; after commit,
     * {@link StockClientsChanged} tells the peer wire server (which drops a closed swarm's connections).
     *
     * @throws ProblemException 404 if there is no such image
     */
    public StockClients setStockClients(UUID id, boolean open) {
        StockClients changed = tx.execute(status -> {
            if (images.setStockClientsOpen(id, open) != 1) {
                throw notFound(id);
            }
            return images.stockClients(id).orElseThrow(() -> notFound(id));
        });
        events.publishEvent(new StockClientsChanged(SwarmId.parse(changed.swarmId()), open));
        log.info("image {} {} stock BitTorrent clients", id, open ? "opened to" : "closed to");
        return changed;
    }

    /** The bencoded BEP 3 info dictionary of image {@code id}, whose SHA-1 is its swarm id. @throws ProblemException 404 */
    @Transactional(readOnly = true)
    public byte[] torrentInfo(UUID id) {
        TorrentRow t = images.torrent(id).orElseThrow(() -> notFound(id));
        return Bencode.encode(TorrentMetainfo.infoDictionary(t.name(), t.size(), t.pieceSize(), t.sha1()));
    }

    /**
     * Deletes image {@code id}: the row and its {@link ImageDeleted} event in one transaction; then,
     * after commit, {@link ImageRemoved} for whoever serves it, and the file.
     *
     * @throws ProblemException 404 if there is no such image
     */
    public void delete(UUID id) {
        ImageRow row = tx.execute(status -> {
            ImageRow r = images.row(id).orElseThrow(() -> notFound(id));
            if (images.deleteRow(id) != 1) {
                throw notFound(id);
            }
            outbox.publish(Topics.IMAGES, new ImageDeleted(UUID.randomUUID(), Instant.now(), id, r.name()));
            return r;
        });
        pieces.forget(id);
        events.publishEvent(new ImageRemoved(id, row.name(), SwarmId.of(row.swarmId())));
        events.publishEvent(new CatalogChanged(id, false));
        Path file = storage.resolve(row.filePath());
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("image {} '{}' deleted from the catalog but its file {} could not be removed: {}", id, row.name(),
                    file, e.toString());
        }
        log.info("deleted image {} '{}' ({} bytes)", id, row.name(), row.size());
    }

    private ImageView view(ImageRow r) {
        return new ImageView(r.id(), r.name(), r.size(), r.pieceSize(), r.pieceCount(), r.zeroPieceCount(),
                r.nonZeroBytes(), SwarmId.of(r.swarmId()).hex(), r.createdAt(), uploads.uploadedBytes(r.id()),
                health.rottenPieces(r.id()));
    }

    private ServableImage servable(ImageRow r) {
        return new ServableImage(r.id(), r.name(), r.size(), r.pieceSize(), r.pieceCount(), storage.resolve(r.filePath()));
    }

    static ProblemException notFound(UUID id) {
        return ProblemException.notFound("image-not-found", "there is no image " + id).with("imageId", id);
    }
}
