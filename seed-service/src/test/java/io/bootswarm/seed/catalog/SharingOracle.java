package io.bootswarm.seed.catalog;

import io.bootswarm.seed.TestImages;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * What similarity and piece groups must be, computed here from the images' bytes alone (plain
 * MessageDigest hashes of every piece, sets of hex strings), independently of the seed's SQL.
 */
final class SharingOracle {

    /** One image as the test sees it: distinct non-zero piece hashes (hex) with their lengths, and per piece its hash. */
    record Image(UUID id, Map<String, Integer> distinct, String[] pieceHash) {

        static Image of(UUID id, TestImages.Expected e) {
            Map<String, Integer> distinct = new HashMap<>();
            String[] pieceHash = new String[e.pieceCount()];
            for (int p = 0; p < e.pieceCount(); p++) {
                if (!e.zero()[p]) {
                    pieceHash[p] = HexFormat.of().formatHex(e.sha256().get(p));
                    distinct.put(pieceHash[p], (int) Math.min(e.pieceSize(), e.size() - (long) p * e.pieceSize()));
                }
            }
            return new Image(id, distinct, pieceHash);
        }
    }

    record Similar(UUID imageId, long sharedPieces, long sharedBytes, double shareOfThis, double shareOfOther) {
    }

    record Group(String groupId, List<UUID> imageIds, long pieces, long bytes) {
    }

    /** The groups of an image (most bytes first, then by id) and each piece's index into them. */
    record Groups(List<Group> groups, int[] pieceGroup) {
    }

    private SharingOracle() {
    }

    /** The images sharing pieces with {@code of}, most shared bytes first. */
    static List<Similar> similar(Image of, List<Image> catalog) {
        List<Similar> out = new ArrayList<>();
        for (Image other : catalog) {
            if (other.id().equals(of.id())) {
                continue;
            }
            long pieces = 0;
            long bytes = 0;
            for (Map.Entry<String, Integer> h : of.distinct().entrySet()) {
                if (other.distinct().containsKey(h.getKey())) {
                    pieces++;
                    bytes += h.getValue();
                }
            }
            if (pieces > 0) {
                out.add(new Similar(other.id(), pieces, bytes, (double) pieces / of.distinct().size(),
                        (double) pieces / other.distinct().size()));
            }
        }
        out.sort(Comparator.comparingLong(Similar::sharedBytes).reversed());
        return out;
    }

    static Groups groups(Image of, List<Image> catalog) {
        Map<Set<String>, Group> bySet = new LinkedHashMap<>();
        Map<String, Set<String>> setOfHash = new HashMap<>();
        for (Map.Entry<String, Integer> h : of.distinct().entrySet()) {
            Set<String> images = new TreeSet<>();
            for (Image i : catalog) {
                if (i.distinct().containsKey(h.getKey())) {
                    images.add(i.id().toString());
                }
            }
            setOfHash.put(h.getKey(), images);
            Group g = bySet.get(images);
            long pieces = g == null ? 1 : g.pieces() + 1;
            long bytes = (g == null ? 0 : g.bytes()) + h.getValue();
            bySet.put(images, new Group(groupId(images), images.stream().map(UUID::fromString).toList(), pieces, bytes));
        }
        List<Group> groups = new ArrayList<>(bySet.values());
        groups.sort(Comparator.comparingLong(Group::bytes).reversed().thenComparing(Group::groupId));
        int[] pieceGroup = new int[of.pieceHash().length];
        for (int p = 0; p < pieceGroup.length; p++) {
            String h = of.pieceHash()[p];
            pieceGroup[p] = h == null ? -1 : groups.indexOf(bySet.get(setOfHash.get(h)));
        }
        return new Groups(groups, pieceGroup);
    }

    /** SHA-256 over the sorted UUID texts joined by ',', first 16 bytes, hex. */
    static String groupId(Set<String> sortedImageIds) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(String.join(",", sortedImageIds).getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d).substring(0, 32);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
