package io.bootswarm.seed.catalog;

import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** A catalogued image as the {@code image} table holds it. Never leaves the catalog package. */
@Entity
@Table(name = "image")
class ImageEntity extends AssignedIdEntity<UUID> {

    @Id
    private UUID id;
    @Column(nullable = false)
    private String name;
    private long size;
    private int pieceSize;
    private int pieceCount;
    private int zeroPieceCount;
    private long nonZeroBytes;
    @Column(nullable = false)
    private byte[] swarmId;
    /** SHA-256 of every piece, concatenated in piece order. */
    @Column(nullable = false)
    private byte[] sha256Hashes;
    /** BEP 3 bitfield of the all-zero pieces. */
    @Column(nullable = false)
    private byte[] zeroBitfield;
    /** SHA-1 of every piece, concatenated: the {@code pieces} of a .torrent's info dictionary. */
    @Column(nullable = false)
    private byte[] sha1Hashes;
    @Column(nullable = false)
    private Instant createdAt;
    /** Relative to the storage directory. */
    @Column(nullable = false)
    private String filePath;
    /** Opened to stock BitTorrent clients (peers without an access token) by an admin. */
    @Column(nullable = false)
    private boolean stockClientsOpen;

    protected ImageEntity() {
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    ImageEntity(UUID id, String name, long size, int pieceSize, int pieceCount, int zeroPieceCount, long nonZeroBytes,
                byte[] swarmId, byte[] sha256Hashes, byte[] zeroBitfield, byte[] sha1Hashes, Instant createdAt,
                String filePath) {
        this.id = id;
        this.name = name;
        this.size = size;
        this.pieceSize = pieceSize;
        this.pieceCount = pieceCount;
        this.zeroPieceCount = zeroPieceCount;
        this.nonZeroBytes = nonZeroBytes;
        this.swarmId = swarmId;
        this.sha256Hashes = sha256Hashes;
        this.zeroBitfield = zeroBitfield;
        this.sha1Hashes = sha1Hashes;
        this.createdAt = createdAt;
        this.filePath = filePath;
    }

    @Override
    public UUID getId() {
        return id;
    }

    ImageRow row() {
        return new ImageRow(id, name, size, pieceSize, pieceCount, zeroPieceCount, nonZeroBytes, swarmId, createdAt,
                filePath);
    }
}
