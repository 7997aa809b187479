package io.bootswarm.tracker.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;

/** IP address literals: parsed without any name lookup, and written in their canonical text form. */
public final class Addresses {

    private Addresses() {
    }

    /** The address an IP literal (IPv4, IPv6, bracketed IPv6) stands for, without any lookup; empty for a name. */
    public static Optional<InetAddress> literal(String host) {
        try {
            return Optional.of(InetAddress.ofLiteral(host));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The canonical text of an address: dotted quad for IPv4; for IPv6 the RFC 5952 form (lowercase,
     * no leading zeros, the longest run of two or more zero groups written {@code ::}, without zone).
     */
    public static String text(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!out.isEmpty() && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
