package io.bootswarm.tracker.web;

/** Validation patterns the tracker's request bodies share. */
public final class Patterns {

    /** A DNS name, an IPv4 address or an IPv6 address (optionally in brackets). */
    public static final String HOST = "(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[?[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9]{1,16})?]?)";
    public static final String HOST_MESSAGE = "must be a host name or an IP address";

    /** An absolute http or https URL. */
    public static final String HTTP_URL = "https?://[^\\s/?#]+(?:[/?#]\\S*)?";
    public static final String HTTP_URL_MESSAGE = "must be an absolute http(s) URL";

    /** A host name as hosts register under it. */
    public static final String HOST_NAME = "[a-z0-9][a-z0-9.-]{0,62}";
    public static final String HOST_NAME_MESSAGE = "must match [a-z0-9][a-z0-9.-]{0,62}";

    private Patterns() {
    }
}
