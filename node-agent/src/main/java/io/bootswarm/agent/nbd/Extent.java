package io.bootswarm.agent.nbd;

/**
 * {@code length} bytes with the same status {@code flags} in one {@link MetaContext}; a device's
 * extents follow each other from the offset asked about.
 */
public record Extent(long length, int flags) {

    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length " + length);
        }
    }
}
