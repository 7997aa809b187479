package io.bootswarm.agent.nbd;

import java.util.Optional;

/**
 * The metadata contexts of "Metadata querying" the server offers for {@code NBD_CMD_BLOCK_STATUS}.
 * The flags of an {@link Extent} mean what its context says.
 */
public enum MetaContext {

    /**
     * "base:allocation" of the protocol document: bit 0 {@link #STATE_HOLE} (not allocated), bit 1
     * {@link #STATE_ZERO} (reads as zeroes); 0 is data.
     */
    BASE_ALLOCATION("base:allocation", 0),

    /**
     * Ours: bit 0 {@link #STATE_PRESENT} when the range's bytes are on this host (a read needs no
     * network): pieces in the store, the manifest's all-zero pieces and the guest's own writes.
     */
    BOOTSWARM_PRESENT("bootswarm:present", 1);

    /** base:allocation: the range is not allocated. */
    public static final int STATE_HOLE = 1;
    /** base:allocation: the range reads as zeroes. */
    public static final int STATE_ZERO = 2;
    /** bootswarm:present: the range's bytes are on this host. */
    public static final int STATE_PRESENT = 1;

    private final String contextName;
    private final int defaultFlags;

    MetaContext(String contextName, int defaultFlags) {
        this.contextName = contextName;
        this.defaultFlags = defaultFlags;
    }

    /** The name on the wire ("namespace:leaf"). */
    public String contextName() {
        return contextName;
    }

    /** Its namespace, with the colon ("base:"), as a listing query names it. */
    public String namespace() {
        return contextName.substring(0, contextName.indexOf(':') + 1);
    }

    /**
     * The flags a device that knows nothing about its ranges reports: data for base:allocation
     * (always correct), present for bootswarm:present (such a device reads locally).
     */
    public int defaultFlags() {
        return defaultFlags;
    }

    /** The id in {@code NBD_REP_META_CONTEXT} and {@code NBD_REPLY_TYPE_BLOCK_STATUS}: fixed per context, never 0. */
    int id() {
        return ordinal() + 1;
    }

    static Optional<MetaContext> named(String name) {
        for (MetaContext c : values()) {
            if (c.contextName.equals(name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    static Optional<MetaContext> withId(int id) {
        return id >= 1 && id <= values().length ? Optional.of(values()[id - 1]) : Optional.empty();
    }
}
