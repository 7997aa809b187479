package io.bootswarm.agent.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A fixed-size disk as the NBD server exports it. Implementations are safe for concurrent calls
 * (an NBD client keeps many requests in flight, over several connections). Offsets and lengths
 * are checked by the server before they get here: {@code 0 <= offset}, {@code offset + length <= size()}.
 */
public interface BlockDevice {

    long size();

    /** Fills {@code dst} (all of its remaining bytes) from {@code offset}; blocks until the bytes are there. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Writes {@code length} zero bytes at {@code offset}. */
    void writeZeroes(long offset, long length) throws IOException;

    /** Makes every write completed so far durable. */
    void flush() throws IOException;

    /** The client no longer needs {@code [offset, offset+length)}; a hint that may be ignored. */
    default void trim(long offset, long length) throws IOException {
    }

    /**
     * The client plans to read {@code [offset, offset+length)} ({@code NBD_CMD_CACHE}): a hint to start
     * getting those bytes ready, e.g. fetching them into the host. Returns at once (the work, if any,
     * goes on in the background and is the device's to bound); a device may ignore it. A failure here
     * changes nothing for later reads of the range.
     */
    default void cache(long offset, long length) throws IOException {
    }

    /**
     * The status of {@code [offset, offset+length)} in {@code context} ({@code NBD_CMD_BLOCK_STATUS}):
     * consecutive extents from {@code offset}, covering at most {@code length} bytes and at least one
     * byte, merged where neighbours have the same flags (collect them with {@link Extents}), at most
     * {@code maxExtents} of them: a client asking for one extent ({@code NBD_CMD_FLAG_REQ_ONE}, as QEMU
     * does) must not cost a walk over the rest of the disk. Must not wait on the network. A device
     * that cannot tell reports the context's {@linkplain MetaContext#defaultFlags() default} over the
     * whole range, which is always correct.
     */
    default List<Extent> extents(long offset, long length, MetaContext context, int maxExtents) throws IOException {
        return List.of(new Extent(length, context.defaultFlags()));
    }

    /** {@link #extents(long, long, MetaContext, int)} with up to {@link Extents#MAX_EXTENTS}. */
    default List<Extent> extents(long offset, long length, MetaContext context) throws IOException {
        return extents(offset, length, context, Extents.MAX_EXTENTS);
    }
}
