package io.bootswarm.agent.nbd;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for the NBD server's option haggling and request parsing, with and without
 * structured replies and meta contexts (README "Fuzzing"). Each
 * input is sent over a loopback connection to one in-process server with a 1 MiB memory export,
 * followed by end of input; the server must answer and close the connection (a protocol
 * violation, an error reply or a clean end are all fine). A runtime exception or error in the
 * connection (logged by {@link NbdConnection} with its stack trace) or a connection the server
 * never closes is a finding.
 */
class NbdFuzzTest {

    private static final int SIZE = 1 << 20;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int OPT_GO = 7;
    private static final int OPT_STRUCTURED_REPLY = 8;
    private static final int OPT_SET_META_CONTEXT = 10;
    /** FIXED_NEWSTYLE | NO_ZEROES */
    private static final int CLIENT_FLAGS = 3;

    private static NbdServer server;
    private static final Queue<String> failures = new ConcurrentLinkedQueue<>();

    private static synchronized NbdServer server() throws IOException {
        if (server == null) {
            ExportRegistry exports = new ExportRegistry();
            exports.put("disk", new MemoryBlockDevice(SIZE));
            server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports, new SimpleMeterRegistry()).start();
            Logger nbd = (Logger) LoggerFactory.getLogger("io.bootswarm.agent.nbd");
            AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
                @Override
                protected void append(ILoggingEvent e) {
                    IThrowableProxy t = e.getThrowableProxy();
                    if (t != null && !t.getClassName().startsWith("java.io.")) {
                        failures.add(e.getFormattedMessage() + ": " + t.getClassName() + ": " + t.getMessage());
                    }
                }
            };
            appender.setContext(nbd.getLoggerContext());
            appender.start();
            nbd.addAppender(appender);
            if (System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty()) {
                // millions of connections: their protocol-violation warnings only to the appender
                nbd.setAdditive(false);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        }
        return server;
    }

    /** Option haggling: the input follows the client flags (fixed newstyle, no zeroes). */
    @FuzzTest(maxDuration = "30s")
    void options(byte[] input) throws IOException {
        exchange(ByteBuffer.allocate(4 + input.length).putInt(CLIENT_FLAGS).put(input).array());
    }

    /** Transmission: the input follows a successful NBD_OPT_GO for the export "disk". */
    @FuzzTest(maxDuration = "30s")
    void requests(byte[] input) throws IOException {
        byte[] name = "disk".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + 16 + 4 + name.length + 2 + input.length);
        b.putInt(CLIENT_FLAGS).putLong(IHAVEOPT).putInt(OPT_GO).putInt(4 + name.length + 2)
                .putInt(name.length).put(name).putShort((short) 0).put(input);
        exchange(b.array());
    }

    /**
     * Transmission with structured replies and both meta contexts selected: the input follows
     * NBD_OPT_STRUCTURED_REPLY, NBD_OPT_SET_META_CONTEXT (base:allocation, bootswarm:present) and
     * NBD_OPT_GO for "disk", so it reaches structured READs, NBD_CMD_FLAG_DF and NBD_CMD_BLOCK_STATUS.
     */
    @FuzzTest(maxDuration = "30s")
    void structuredRequests(byte[] input) throws IOException {
        byte[] name = "disk".getBytes(StandardCharsets.US_ASCII);
        byte[][] contexts = {"base:allocation".getBytes(StandardCharsets.US_ASCII),
                "bootswarm:present".getBytes(StandardCharsets.US_ASCII)};
        int setLength = 4 + name.length + 4 + 8 + contexts[0].length + contexts[1].length;
        ByteBuffer b = ByteBuffer.allocate(4 + 16 + 16 + setLength + 16 + 4 + name.length + 2 + input.length);
        b.putInt(CLIENT_FLAGS).putLong(IHAVEOPT).putInt(OPT_STRUCTURED_REPLY).putInt(0);
        b.putLong(IHAVEOPT).putInt(OPT_SET_META_CONTEXT).putInt(setLength).putInt(name.length).put(name).putInt(2);
        for (byte[] c : contexts) {
            b.putInt(c.length).put(c);
        }
        b.putLong(IHAVEOPT).putInt(OPT_GO).putInt(4 + name.length + 2).putInt(name.length).put(name)
                .putShort((short) 0).put(input);
        exchange(b.array());
    }

    private static void exchange(byte[] bytes) throws IOException {
        InetSocketAddress address = server().tcpAddress().orElseThrow();
        failures.clear();
        // the connection to our own server is the test's, not the input's: not an SSRF finding
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections(
                (host, port) -> port == address.getPort());
             Socket s = new Socket()) {
            s.connect(address, 5_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            Thread drain = Thread.ofVirtual().start(() -> {
                try {
                    in.transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // a reset is an answer too
                }
            });
            try {
                out.write(bytes);
                out.flush();
                s.shutdownOutput();
            } catch (IOException closedEarly) {
                // the server may hang up before reading everything
            }
            drain.join(15_000);
            assertThat(drain.isAlive()).as("the server closes the connection after end of input").isFalse();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertThat(failures).as("unexpected exceptions in the NBD server").isEmpty();
    }
}
