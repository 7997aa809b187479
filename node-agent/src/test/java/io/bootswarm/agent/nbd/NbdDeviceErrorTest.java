package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Device failures as the client sees them: a FLUSH that fails is an error reply (never a success),
 * the next FLUSH is tried on the device again, and a full disk is NBD_ENOSPC (28) even when the
 * device wrapped the file system's exception.
 */
class NbdDeviceErrorTest {

    static final int CMD_WRITE = 1, CMD_FLUSH = 3;
    static final int EIO = 5, ENOSPC = 28;
    static final int SIZE = 1 << 20;

    /** A memory disk whose next flush or write throws what the test sets. */
    static final class FailingDevice implements BlockDevice {
        final MemoryBlockDevice memory = new MemoryBlockDevice(new byte[SIZE]);
        final AtomicReference<Exception> nextFlush = new AtomicReference<>();
        final AtomicReference<Exception> nextWrite = new AtomicReference<>();
        int flushes;

        @Override
        public long size() {
            return memory.size();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            memory.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            rethrow(nextWrite.getAndSet(null));
            memory.write(offset, src);
        }

        @Override
        public void writeZeroes(long offset, long length) throws IOException {
            memory.writeZeroes(offset, length);
        }

        @Override
        public synchronized void flush() throws IOException {
            flushes++;
            rethrow(nextFlush.getAndSet(null));
            memory.flush();
        }

        private static void rethrow(Exception e) throws IOException {
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
        }
    }

    FailingDevice device;
    NbdServer server;

    @BeforeEach
    void setUp() throws IOException {
        device = new FailingDevice();
        ExportRegistry exports = new ExportRegistry();
        exports.put("disk", device);
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports, new SimpleMeterRegistry()).start();
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    int roundTrip(RawNbdClient c, int type, long cookie, byte[] payload) throws IOException {
        c.request(0, type, cookie, 0, payload == null ? 0 : payload.length, payload);
        c.flush();
        RawNbdClient.Reply r = c.reply();
        assertThat(r.cookie()).isEqualTo(cookie);
        return r.error();
    }

    @Test
    void aFailedFlushIsAnErrorAndTheNextFlushTriesTheDeviceAgain() throws IOException {
        try (RawNbdClient c = new RawNbdClient(server.tcpPort()).start()) {
            c.go("disk");
            assertThat(roundTrip(c, CMD_WRITE, 1, new byte[4096])).isZero();
            device.nextFlush.set(new IOException("Input/output error"));
            assertThat(roundTrip(c, CMD_FLUSH, 2, null)).isEqualTo(EIO);
            device.nextFlush.set(new IOException("No space left on device"));
            assertThat(roundTrip(c, CMD_FLUSH, 3, null)).isEqualTo(ENOSPC);
            assertThat(roundTrip(c, CMD_FLUSH, 4, null)).isZero();
            assertThat(device.flushes).isEqualTo(3);
        }
    }

    @Test
    void aFullDiskIsEnospcEvenWhenTheDeviceWrappedTheException() throws IOException {
        try (RawNbdClient c = new RawNbdClient(server.tcpPort()).start()) {
            c.go("disk");
            device.nextWrite.set(new IOException("fetching piece 7 for a copy-on-write failed",
                    new IOException("No space left on device")));
            assertThat(roundTrip(c, CMD_WRITE, 1, new byte[4096])).isEqualTo(ENOSPC);
            device.nextWrite.set(new UncheckedIOException(new IOException("Disk quota exceeded")));
            assertThat(roundTrip(c, CMD_WRITE, 2, new byte[4096])).isEqualTo(ENOSPC);
            device.nextWrite.set(new IOException("Input/output error"));
            assertThat(roundTrip(c, CMD_WRITE, 3, new byte[4096])).isEqualTo(EIO);
            assertThat(roundTrip(c, CMD_WRITE, 4, new byte[4096])).isZero();
        }
    }
}
