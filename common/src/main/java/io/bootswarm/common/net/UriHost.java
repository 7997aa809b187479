package io.bootswarm.common.net;

/**
 * How a configured host (a name, an IPv4 address, or an IPv6 address with or without brackets) is
 * written into a URI such as {@code http://host:port} or {@code nbd://host:port/export}: IPv6
 * addresses in brackets, as RFC 3986 requires, everything else as it is.
 */
public final class UriHost {

    private UriHost() {
    }

    /** {@code host} as the host part of a URI. */
    public static String of(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
