package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.SwarmId;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The BEP 3 handshake: {@code 19 "BitTorrent protocol"}, 8 reserved bytes, the 20-byte info hash
 * (our swarm id) and the sender's 20-byte peer id.
 */
public record Handshake(byte[] reserved, SwarmId swarmId, byte[] peerId) {

    public static final String PROTOCOL = "BitTorrent protocol";
    public static final int LENGTH = 1 + 19 + 8 + 20 + 20;

    public Handshake {
        if (reserved.length != 8 || peerId.length != 20) {
            throw new IllegalArgumentException("reserved must be 8 bytes and peer id 20");
        }
        reserved = reserved.clone();
        peerId = peerId.clone();
    }

    /** Our reserved bytes: the BEP 10 extension protocol bit (0x10 in byte 5) is set. */
    public static byte[] ourReserved() {
        byte[] r = new byte[8];
        r[5] = 0x10;
        return r;
    }

    /**
     * Our reserved bytes with the BEP 6 fast extension bit (0x04 in byte 7) set as well: what our peer wire server
     * and our agents' downloads send. Both sides must set it for the extension to be on.
     */
    public static byte[] ourReservedWithFast() {
        byte[] r = ourReserved();
        r[7] |= 0x04;
        return r;
    }

    /** Whether the sender set the BEP 6 fast extension bit. */
    public boolean supportsFast() {
        return (reserved[7] & 0x04) != 0;
    }

    public boolean supportsExtensions() {
        return (reserved[5] & 0x10) != 0;
    }

    @Override
    public byte[] reserved() {
        return reserved.clone();
    }

    @Override
    public byte[] peerId() {
        return peerId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Handshake h && Arrays.equals(reserved, h.reserved) && swarmId.equals(h.swarmId)
                && Arrays.equals(peerId, h.peerId);
    }

    @Override
    public int hashCode() {
        return swarmId.hashCode() * 31 + Arrays.hashCode(peerId);
    }

    @Override
    public String toString() {
        return "Handshake[swarm=" + swarmId + ", peer=" + HexFormat.of().formatHex(peerId) + "]";
    }
}
