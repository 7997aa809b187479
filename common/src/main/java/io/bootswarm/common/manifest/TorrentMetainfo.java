package io.bootswarm.common.manifest;

import io.bootswarm.common.bencode.Bencode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * BitTorrent v1 metainfo (BEP 3, "metainfo files"): the single-file info dictionary whose SHA-1 is
 * an image's {@link SwarmId}, and the {@code .torrent} that wraps it with an announce URL. The info
 * dictionary has exactly {@code length}, {@code name}, {@code piece length} and {@code pieces} (no
 * {@code private} key, which would change the info hash and so the swarm).
 */
public final class TorrentMetainfo {

    /** The media type of a .torrent. */
    public static final String MEDIA_TYPE = "application/x-bittorrent";

    private TorrentMetainfo() {
    }

    /** The BEP 3 info dictionary of a single-file torrent. */
    public static Map<String, Object> infoDictionary(String name, long size, int pieceSize, byte[] sha1) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("length", size);
        info.put("name", name);
        info.put("piece length", (long) pieceSize);
        info.put("pieces", sha1);
        return info;
    }

    /**
     * A .torrent: the bencoded dictionary {@code announce}, {@code created by}, {@code info}, with the
     * info dictionary's bytes copied as they are (so its SHA-1, the info hash, is theirs).
     *
     * @throws IllegalArgumentException if {@code bencodedInfo} is not a bencoded dictionary
     */
    public static byte[] torrent(String announce, byte[] bencodedInfo) {
        if (!(Bencode.decode(bencodedInfo) instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("the info is not a bencoded dictionary");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(bencodedInfo.length + announce.length() + 64);
        out.write('d');
        string(out, "announce");
        string(out, announce);
        string(out, "created by");
        string(out, "bootswarm");
        string(out, "info");
        out.writeBytes(bencodedInfo);
        out.write('e');
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes((b.length + ":").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(b);
    }
}
