package io.bootswarm.tracker.swarm;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The BitTorrent HTTP tracker protocol (BEP 3) with compact peer lists (BEP 23, and BEP 7's
 * {@code peers6} for IPv6): parsing the raw query string, whose {@code info_hash} and
 * {@code peer_id} are binary and percent-encoded byte by byte, and bencoding the answer.
 */
final class BitTorrentAnnounce {

    /** Longest query string accepted. */
    static final int MAX_QUERY = 4096;

    private BitTorrentAnnounce() {
    }

    /** A BitTorrent client's request, malformed. Answered with a bencoded {@code failure reason}. */
    static final class BadAnnounce extends RuntimeException {
        BadAnnounce(String message) {
            super(message);
        }
    }

    /** The parsed request, before the peer's address is settled. */
    record Request(SwarmId swarm, byte[] peerId, int port, long uploaded, long downloaded, long left,
                   AnnounceEvent event, boolean compact, boolean noPeerId, int numWant, String ip, String passkey) {
    }

    /**
     * Parses a raw (still percent-encoded) query string. The first occurrence of a parameter wins.
     *
     * @throws BadAnnounce on anything missing or malformed
     */
    static Request parse(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            throw new BadAnnounce("missing info_hash");
        }
        if (rawQuery.length() > MAX_QUERY) {
            throw new BadAnnounce("query string too long");
        }
        Map<String, byte[]> params = new HashMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = new String(percentDecode(eq < 0 ? pair : pair.substring(0, eq)), StandardCharsets.UTF_8);
            byte[] value = eq < 0 ? new byte[0] : percentDecode(pair.substring(eq + 1));
            params.putIfAbsent(name, value);
        }
        byte[] infoHash = required(params, "info_hash");
        if (infoHash.length != SwarmId.BYTES) {
            throw new BadAnnounce("info_hash must be 20 bytes, got " + infoHash.length);
        }
        byte[] peerId = required(params, "peer_id");
        if (peerId.length != 20) {
            throw new BadAnnounce("peer_id must be 20 bytes, got " + peerId.length);
        }
        long port = number(params, "port", -1);
        if (port < 1 || port > 65535) {
            throw new BadAnnounce("port must be 1-65535");
        }
        long uploaded = number(params, "uploaded", 0);
        long downloaded = number(params, "downloaded", 0);
        long left = number(params, "left", -1);
        if (!params.containsKey("left")) {
            throw new BadAnnounce("missing left");
        }
        if (uploaded < 0 || downloaded < 0 || left < 0) {
            throw new BadAnnounce("uploaded, downloaded and left must not be negative");
        }
        AnnounceEvent event;
        try {
            event = AnnounceEvent.parse(text(params, "event"));
        } catch (IllegalArgumentException e) {
            throw new BadAnnounce(e.getMessage());
        }
        String compact = text(params, "compact");
        String noPeerId = text(params, "no_peer_id");
        long numWant = params.containsKey("numwant") ? number(params, "numwant", -1) : -1;
        if (params.containsKey("numwant") && numWant < 0) {
            throw new BadAnnounce("numwant must not be negative");
        }
        String ip = text(params, "ip");
        String passkey = text(params, "passkey");
        return new Request(SwarmId.of(infoHash), peerId, (int) port, uploaded, downloaded, left, event,
                !"0".equals(compact), "1".equals(noPeerId), (int) Math.min(numWant, Integer.MAX_VALUE),
                ip == null || ip.isEmpty() ? null : ip, passkey == null || passkey.isEmpty() ? null : passkey);
    }

    /** The bencoded answer. Peers whose address cannot be resolved are left out of compact lists. */
    static byte[] encode(AnnounceResult r, boolean compact, boolean noPeerId,
                         Function<String, Optional<InetAddress>> resolve) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("interval", r.interval().toSeconds());
        body.put("complete", (long) r.complete());
        body.put("incomplete", (long) r.incomplete());
        if (compact) {
            ByteArrayOutputStream v4 = new ByteArrayOutputStream();
            ByteArrayOutputStream v6 = new ByteArrayOutputStream();
            for (SwarmPeer p : r.peers()) {
                Optional<InetAddress> address = resolve.apply(p.host());
                if (address.isEmpty()) {
                    continue;
                }
                ByteArrayOutputStream out = address.get() instanceof Inet4Address ? v4 : v6;
                out.writeBytes(address.get().getAddress());
                out.write(p.port() >>> 8);
                out.write(p.port() & 0xff);
            }
            body.put("peers", v4.toByteArray());
            if (v6.size() > 0) {
                body.put("peers6", v6.toByteArray());
            }
        } else {
            List<Object> peers = new ArrayList<>();
            for (SwarmPeer p : r.peers()) {
                Map<String, Object> peer = new LinkedHashMap<>();
                peer.put("ip", p.host());
                peer.put("port", (long) p.port());
                if (!noPeerId && isHex40(p.peerId())) {
                    peer.put("peer id", HexFormat.of().parseHex(p.peerId()));
                }
                peers.add(peer);
            }
            body.put("peers", peers);
        }
        return Bencode.encode(body);
    }

    /** A bencoded {@code failure reason}. */
    static byte[] failure(String reason) {
        return Bencode.encode(Map.of("failure reason", reason));
    }

    /** Percent-decodes to bytes; {@code +} is a space, as in form encoding. */
    static byte[] percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new BadAnnounce("truncated percent escape");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new BadAnnounce("bad percent escape");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+') {
                out.write(' ');
            } else if (c < 0x80) {
                out.write(c);
            } else {
                throw new BadAnnounce("non-ASCII character in query");
            }
        }
        return out.toByteArray();
    }

    private static boolean isHex40(String s) {
        return s.length() == 40 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    private static byte[] required(Map<String, byte[]> params, String name) {
        byte[] v = params.get(name);
        if (v == null) {
            throw new BadAnnounce("missing " + name);
        }
        return v;
    }

    private static String text(Map<String, byte[]> params, String name) {
        byte[] v = params.get(name);
        return v == null ? null : new String(v, StandardCharsets.ISO_8859_1);
    }

    private static long number(Map<String, byte[]> params, String name, long absent) {
        String v = text(params, name);
        if (v == null) {
            return absent;
        }
        if (v.isEmpty() || v.length() > 19 || !v.chars().allMatch(c -> c == '-' || (c >= '0' && c <= '9'))) {
            throw new BadAnnounce(name + " must be a number");
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new BadAnnounce(name + " must be a number");
        }
    }
}
