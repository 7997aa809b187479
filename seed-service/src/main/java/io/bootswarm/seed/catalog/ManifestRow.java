package io.bootswarm.seed.catalog;

import java.util.UUID;

/** The columns a manifest is made of. */
record ManifestRow(UUID id, String name, long size, int pieceSize, byte[] swarmId, byte[] sha256Hashes,
                   byte[] zeroBitfield) {
}
