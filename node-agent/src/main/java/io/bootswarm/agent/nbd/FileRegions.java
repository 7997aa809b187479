package io.bootswarm.agent.nbd;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Optional capability of a {@link BlockDevice} whose bytes live in local files (a piece store, a
 * copy-on-write overlay, a raw image). When the device implements it, {@link NbdServer} answers a
 * READ whose bytes are all local by handing the file regions to the kernel
 * ({@link FileChannel#transferTo}, {@code sendfile(2)} on Linux): the bytes go from the page cache
 * to the socket without being copied into the JVM first, one copy fewer per byte. In
 * {@code NbdReadBenchmark} (1 GiB cached image, 2 shared cores) this gave 1.2 to 2.2 times the
 * throughput of {@link BlockDevice#read} into a buffer, the most over the Unix socket.
 *
 * <p>For a range that is not all local, return {@link Optional#empty()}: the server then calls
 * {@link BlockDevice#read}, which may wait for the missing bytes.
 */
public interface FileRegions {

    /**
     * Where the bytes of {@code [offset, offset + length)} are now.
     *
     * <p>Must not wait on the network. The regions must cover exactly {@code length} bytes, in
     * order; their files must stay open, and their bytes in place, until the server has sent them
     * (it does so at once). The server checks that the lengths add up; if the files turn out to
     * be shorter than the regions claim, the reply cannot be completed and the server drops the
     * connection, as the protocol demands after an error past the reply header.
     *
     * @return the regions, or empty to have the server use {@link BlockDevice#read} instead
     * @throws IOException answered with {@code NBD_EIO}, as a failed read would be
     */
    Optional<List<Region>> regions(long offset, int length) throws IOException;

    /**
     * {@code length} bytes at {@code position} of {@code file}, or {@code length} zero bytes when
     * {@code file} is null (a piece known to be all zeroes need not be stored).
     */
    record Region(FileChannel file, long position, int length) {

        public Region {
            if (position < 0 || length < 0) {
                throw new IllegalArgumentException("position " + position + ", length " + length);
            }
        }

        public static Region of(FileChannel file, long position, int length) {
            return new Region(Objects.requireNonNull(file, "file"), position, length);
        }

        public static Region zeroes(int length) {
            return new Region(null, 0, length);
        }
    }
}
