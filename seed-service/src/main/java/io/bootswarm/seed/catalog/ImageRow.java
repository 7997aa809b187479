package io.bootswarm.seed.catalog;

import java.time.Instant;
import java.util.UUID;

/** An image row without its piece hashes (which can be megabytes): what listing and serving need. */
record ImageRow(UUID id, String name, long size, int pieceSize, int pieceCount, int zeroPieceCount,
                long nonZeroBytes, byte[] swarmId, Instant createdAt, String filePath) {
}
