package io.bootswarm.agent.nbd;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link NbdStats}, optionally published to a Micrometer registry. */
final class NbdMetrics {

    final LongAdder connectionsAccepted = new LongAdder();
    final AtomicInteger connectionsActive = new AtomicInteger();
    final LongAdder connectionsRejected = new LongAdder();
    final LongAdder read = new LongAdder();
    final LongAdder write = new LongAdder();
    final LongAdder flush = new LongAdder();
    final LongAdder trim = new LongAdder();
    final LongAdder writeZeroes = new LongAdder();
    final LongAdder disc = new LongAdder();
    final LongAdder blockStatus = new LongAdder();
    final LongAdder cache = new LongAdder();
    /** WRITE_ZEROES with NBD_CMD_FLAG_FAST_ZERO refused with NBD_ENOTSUP (the range was not zero already). */
    final LongAdder fastZeroRefused = new LongAdder();
    final LongAdder other = new LongAdder();
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    final LongAdder zeroCopyReads = new LongAdder();
    /** Read bytes answered with NBD_REPLY_TYPE_OFFSET_HOLE instead of data (part of {@link #bytesRead}). */
    final LongAdder holeBytes = new LongAdder();
    /** Chunks of zero-copy replies sent through a buffer because the socket was full (not published). */
    final LongAdder transferFallbacks = new LongAdder();
    final LongAdder errorReplies = new LongAdder();
    final LongAdder ioErrors = new LongAdder();
    final LongAdder protocolViolations = new LongAdder();
    final LongAdder errEinval = new LongAdder();
    final LongAdder errEnospc = new LongAdder();
    final LongAdder errEio = new LongAdder();
    final LongAdder errOther = new LongAdder();
    final LongAdder tlsHandshakes = new LongAdder();
    final LongAdder tlsHandshakesFailed = new LongAdder();

    void countRequest(int type) {
        switch (type) {
            case NbdProtocol.CMD_READ -> read.increment();
            case NbdProtocol.CMD_WRITE -> write.increment();
            case NbdProtocol.CMD_FLUSH -> flush.increment();
            case NbdProtocol.CMD_TRIM -> trim.increment();
            case NbdProtocol.CMD_WRITE_ZEROES -> writeZeroes.increment();
            case NbdProtocol.CMD_DISC -> disc.increment();
            case NbdProtocol.CMD_BLOCK_STATUS -> blockStatus.increment();
            case NbdProtocol.CMD_CACHE -> cache.increment();
            default -> other.increment();
        }
    }

    void countError(int error) {
        errorReplies.increment();
        switch (error) {
            case NbdProtocol.EINVAL -> errEinval.increment();
            case NbdProtocol.ENOSPC -> errEnospc.increment();
            case NbdProtocol.EIO -> errEio.increment();
            default -> errOther.increment();
        }
    }

    NbdStats snapshot() {
        return new NbdStats(connectionsAccepted.sum(), connectionsActive.get(), connectionsRejected.sum(),
                read.sum(), write.sum(), flush.sum(), trim.sum(), writeZeroes.sum(), disc.sum(), other.sum(),
                bytesRead.sum(), bytesWritten.sum(), zeroCopyReads.sum(), errorReplies.sum(), ioErrors.sum(),
                protocolViolations.sum(), tlsHandshakes.sum(), tlsHandshakesFailed.sum());
    }

    /**
     * Publishes: {@code bootswarm.nbd.requests{command}}, {@code bootswarm.nbd.read.bytes},
     * {@code bootswarm.nbd.written.bytes}, {@code bootswarm.nbd.zerocopy.reads}, {@code bootswarm.nbd.hole.bytes}, {@code bootswarm.nbd.errors{error}},
     * {@code bootswarm.nbd.fastzero.refused},
     * {@code bootswarm.nbd.io.errors}, {@code bootswarm.nbd.protocol.violations},
     * {@code bootswarm.nbd.connections{outcome=accepted|rejected}},
     * {@code bootswarm.nbd.tls.handshakes{outcome=done|failed}} and the gauge
     * {@code bootswarm.nbd.connections.active}.
     */
    void bindTo(MeterRegistry registry) {
        request(registry, "read", read);
        request(registry, "write", write);
        request(registry, "flush", flush);
        request(registry, "trim", trim);
        request(registry, "write_zeroes", writeZeroes);
        request(registry, "disc", disc);
        request(registry, "block_status", blockStatus);
        request(registry, "cache", cache);
        request(registry, "other", other);
        FunctionCounter.builder("bootswarm.nbd.read.bytes", bytesRead, LongAdder::sum)
                .baseUnit("bytes").description("Payload bytes sent by NBD reads").register(registry);
        FunctionCounter.builder("bootswarm.nbd.written.bytes", bytesWritten, LongAdder::sum)
                .baseUnit("bytes").description("Payload bytes written by NBD writes").register(registry);
        FunctionCounter.builder("bootswarm.nbd.zerocopy.reads", zeroCopyReads, LongAdder::sum)
                .description("NBD reads answered with sendfile from file regions").register(registry);
        FunctionCounter.builder("bootswarm.nbd.hole.bytes", holeBytes, LongAdder::sum).baseUnit("bytes")
                .description("Read bytes sent as holes (structured replies) instead of data").register(registry);
        FunctionCounter.builder("bootswarm.nbd.fastzero.refused", fastZeroRefused, LongAdder::sum)
                .description("WRITE_ZEROES with NBD_CMD_FLAG_FAST_ZERO refused (the range did not read as zeroes)")
                .register(registry);
        error(registry, "EINVAL", errEinval);
        error(registry, "ENOSPC", errEnospc);
        error(registry, "EIO", errEio);
        error(registry, "other", errOther);
        FunctionCounter.builder("bootswarm.nbd.io.errors", ioErrors, LongAdder::sum)
                .description("Device failures reported to NBD clients").register(registry);
        FunctionCounter.builder("bootswarm.nbd.protocol.violations", protocolViolations, LongAdder::sum)
                .description("NBD connections dropped for protocol violations").register(registry);
        FunctionCounter.builder("bootswarm.nbd.connections", connectionsAccepted, LongAdder::sum)
                .tag("outcome", "accepted").description("NBD connections").register(registry);
        FunctionCounter.builder("bootswarm.nbd.connections", connectionsRejected, LongAdder::sum)
                .tag("outcome", "rejected").description("NBD connections").register(registry);
        FunctionCounter.builder("bootswarm.nbd.tls.handshakes", tlsHandshakes, LongAdder::sum)
                .tag("outcome", "done").description("TLS handshakes after NBD_OPT_STARTTLS").register(registry);
        FunctionCounter.builder("bootswarm.nbd.tls.handshakes", tlsHandshakesFailed, LongAdder::sum)
                .tag("outcome", "failed").description("TLS handshakes after NBD_OPT_STARTTLS").register(registry);
        Gauge.builder("bootswarm.nbd.connections.active", connectionsActive, AtomicInteger::get)
                .description("NBD connections open now").register(registry);
    }

    private static void request(MeterRegistry registry, String command, LongAdder adder) {
        FunctionCounter.builder("bootswarm.nbd.requests", adder, LongAdder::sum)
                .tag("command", command).description("NBD requests received").register(registry);
    }

    private static void error(MeterRegistry registry, String error, LongAdder adder) {
        FunctionCounter.builder("bootswarm.nbd.errors", adder, LongAdder::sum)
                .tag("error", error).description("NBD requests answered with an error").register(registry);
    }
}
