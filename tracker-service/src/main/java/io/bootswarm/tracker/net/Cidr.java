package io.bootswarm.tracker.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR notation: {@code 10.0.0.0/8}, {@code fd00::/8}, {@code 0.0.0.0/0};
 * a bare address is the network of that address alone (/32, /128). An IPv4 network contains only
 * IPv4 addresses and an IPv6 network only IPv6 ones (an IPv4-mapped IPv6 address is read as IPv4).
 *
 * @param network its first address: no bit beyond the prefix is set
 * @param prefix  how many leading bits an address must share with {@code network}
 */
public record Cidr(InetAddress network, int prefix) {

    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}");
    private static final Pattern PREFIX = Pattern.compile("\\d{1,3}");

    public Cidr {
        Objects.requireNonNull(network, "network");
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("the prefix length must be 0-" + bits + ", got " + prefix);
        }
        if (!Arrays.equals(mask(network.getAddress(), prefix), network.getAddress())) {
            throw new IllegalArgumentException("bits are set beyond the prefix; the network is "
                    + Addresses.text(masked(network, prefix)) + "/" + prefix);
        }
    }

    /**
     * Parses {@code address/prefix} or a bare address. The address must be an IP literal: a dotted quad
     * for IPv4, any IPv6 form without a zone; names are never looked up.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Cidr of(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        String prefix = slash < 0 ? null : text.substring(slash + 1);
        boolean v6 = address.contains(":");
        if (!(v6 ? !address.contains("%") && !address.contains("[") : DOTTED_QUAD.matcher(address).matches())) {
            throw notCidr(text, "not an IPv4 (a.b.c.d) or IPv6 address");
        }
        InetAddress parsed;
        try {
            parsed = InetAddress.ofLiteral(address);
        } catch (IllegalArgumentException e) {
            throw notCidr(text, "not an IPv4 (a.b.c.d) or IPv6 address");
        }
        if (v6 && parsed instanceof Inet4Address) {
            throw notCidr(text, "an IPv4-mapped IPv6 address; write the IPv4 network");
        }
        int bits = parsed.getAddress().length * 8;
        if (prefix != null && (!PREFIX.matcher(prefix).matches() || Integer.parseInt(prefix) > bits)) {
            throw notCidr(text, "the prefix length must be 0-" + bits);
        }
        try {
            return new Cidr(parsed, prefix == null ? bits : Integer.parseInt(prefix));
        } catch (IllegalArgumentException e) {
            throw notCidr(text, e.getMessage());
        }
    }

    /** Whether {@code address} is in this network. */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == network.getAddress().length
                && Arrays.equals(mask(bytes, prefix), network.getAddress());
    }

    @Override
    public String toString() {
        return Addresses.text(network) + "/" + prefix;
    }

    private static InetAddress masked(InetAddress address, int prefix) {
        try {
            return InetAddress.getByAddress(mask(address.getAddress(), prefix));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.clamp(prefix - i * 8L, 0, 8);
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }

    private static IllegalArgumentException notCidr(String text, String why) {
        return new IllegalArgumentException("'" + text + "' is not a CIDR network (like 10.0.0.0/8 or fd00::/8): " + why);
    }
}
