package io.bootswarm.common.manifest;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The 20-byte id a swarm goes by on the peer wire: the BitTorrent v1 info hash of the image
 * (BEP 3: SHA-1 of the bencoded info dictionary), so that a stock client given the image's
 * .torrent joins the same swarm.
 */
public record SwarmId(long hi, long mid, int lo) {

    public static final int BYTES = 20;

    public static SwarmId of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a swarm id has 20 bytes, got " + bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new SwarmId(b.getLong(), b.getLong(), b.getInt());
    }

    public static SwarmId parse(String hex) {
        if (hex == null || hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("a swarm id has 40 hex digits");
        }
        return of(HexFormat.of().parseHex(hex));
    }

    public byte[] toBytes() {
        return ByteBuffer.allocate(BYTES).putLong(hi).putLong(mid).putInt(lo).array();
    }

    public String hex() {
        return HexFormat.of().formatHex(toBytes());
    }

    @Override
    public String toString() {
        return hex();
    }
}
