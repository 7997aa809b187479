package io.bootswarm.seed.catalog;

/** What an image's BEP 3 info dictionary is made of. */
record TorrentRow(String name, long size, int pieceSize, byte[] sha1) {
}
