package io.bootswarm.tracker.swarm;

/** The event an announce reports (BEP 3); a regular re-announce has none. */
enum AnnounceEvent {
    STARTED, COMPLETED, STOPPED, NONE;

    /**
     * Parses the wire spelling: {@code started}, {@code completed}, {@code stopped}, or
     * null/empty for none. {@code paused} (BEP 21) counts as a regular announce.
     *
     * @throws IllegalArgumentException anything else
     */
    static AnnounceEvent parse(String s) {
        if (s == null || s.isEmpty() || s.equals("paused")) {
            return NONE;
        }
        return switch (s) {
            case "started" -> STARTED;
            case "completed" -> COMPLETED;
            case "stopped" -> STOPPED;
            default -> throw new IllegalArgumentException("event must be started, completed or stopped, got '" + s + "'");
        };
    }

    String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
