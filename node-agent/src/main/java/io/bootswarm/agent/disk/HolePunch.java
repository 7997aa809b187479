package io.bootswarm.agent.disk;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Gives the space of a byte range of a file back to the file system, keeping the file's size:
 * {@code fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)} through the FFM API, on a
 * descriptor of its own ({@link java.nio.channels.FileChannel} cannot punch holes and does not show
 * its descriptor). The range reads as zeros afterwards.
 *
 * <p>Where the call is not available (not Linux, native access denied) or the file system refuses
 * it ({@code EOPNOTSUPP}), {@link #punch} returns false and the caller keeps the space for reuse:
 * the store then stays at its high-water size instead of shrinking.
 */
final class HolePunch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HolePunch.class);

    private static final int O_RDWR = 0x2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int FALLOC_FL_KEEP_SIZE = 0x1;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x2;
    private static final int EINTR = 4;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;

    private static final Native NATIVE = Native.load();

    private final int fd;
    private volatile boolean closed;

    private HolePunch(int fd) {
        this.fd = fd;
    }

    /** The libc functions, or null where they cannot be called. */
    private record Native(MethodHandle open, MethodHandle fallocate, MethodHandle close, VarHandle errno,
                          long errnoSize) {

        static Native load() {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                var state = Linker.Option.captureStateLayout();
                MethodHandle open = linker.downcallHandle(libc.findOrThrow("open"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                        errno);
                MethodHandle fallocate = linker.downcallHandle(libc.findOrThrow("fallocate"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), errno);
                MethodHandle close = linker.downcallHandle(libc.findOrThrow("close"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                VarHandle errnoHandle = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                return new Native(open, fallocate, close, errnoHandle, state.byteSize());
            } catch (RuntimeException | LinkageError e) {
                log.info("hole punching unavailable ({}): evicted pieces' space is reused, not returned", e.toString());
                return null;
            }
        }
    }

    /** Opens {@code file} for punching, or returns null where punching is not available. */
    static HolePunch open(Path file) throws IOException {
        if (NATIVE == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NATIVE.errnoSize());
            int fd = (int) NATIVE.open().invokeExact(state, arena.allocateFrom(file.toString()), O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("open(" + file + ") for hole punching failed: errno "
                        + (int) NATIVE.errno().get(state, 0L));
            }
            return new HolePunch(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /**
     * Punches {@code [offset, offset + length)}; returns false if the file system does not support
     * it (nothing changed).
     *
     * @throws IOException on any other failure
     */
    boolean punch(long offset, long length) throws IOException {
        if (closed) {
            throw new IOException("hole punch descriptor closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NATIVE.errnoSize());
            while (true) {
                int r = (int) NATIVE.fallocate().invokeExact(state, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        offset, length);
                if (r == 0) {
                    return true;
                }
                int errno = (int) NATIVE.errno().get(state, 0L);
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EOPNOTSUPP || errno == ENOSYS) {
                    return false;
                }
                throw new IOException("fallocate(PUNCH_HOLE, " + offset + ", " + length + ") failed: errno " + errno);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int result = (int) NATIVE.close().invokeExact(fd);
            if (result != 0) {
                log.debug("close of hole punch descriptor {} returned {}", fd, result);
            }
        } catch (Throwable t) {
            log.debug("close of hole punch descriptor failed: {}", t.toString());
        }
    }
}
