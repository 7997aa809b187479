package io.bootswarm.agent.fuse;

import org.cryptomator.jfuse.api.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The errors the file system answers with, counted in {@link FuseMetrics}: negative errno values
 * (an upcall must return one, never throw), and the logging of failures, a failing disk's at most
 * once per {@link #LOG_INTERVAL} by the injected clock, with the count of messages left out.
 */
final class FuseErrors {

    private static final Logger log = LoggerFactory.getLogger(DiskFileSystem.class);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(1);

    private final Errno errno;
    private final FuseMetrics metrics;
    private final InstantSource clock;
    private final AtomicReference<Instant> lastDeviceErrorLog;
    private final LongAdder suppressedDeviceErrorLogs = new LongAdder();

    FuseErrors(Errno errno, FuseMetrics metrics, InstantSource clock) {
        this.errno = errno;
        this.metrics = metrics;
        this.clock = clock;
        this.lastDeviceErrorLog = new AtomicReference<>(clock.instant().minus(LOG_INTERVAL.multipliedBy(2)));
    }

    int enoent() {
        metrics.errEnoent.increment();
        return -errno.enoent();
    }

    int einval() {
        metrics.errEinval.increment();
        return -errno.einval();
    }

    int enospc() {
        metrics.errEnospc.increment();
        return -DiskFileSystem.ENOSPC;
    }

    /** A bug or an unexpected state: EIO, logged every time with its stack trace. */
    int unexpected(String op, String path, Throwable t) {
        metrics.errOther.increment();
        log.warn("FUSE {} {} failed", op, path, t);
        return -errno.eio();
    }

    /** EIO for a failure of the disk, logged at most once per interval (with the count of the ones not logged). */
    int deviceError(String op, UUID disk, long offset, long length, Throwable t) {
        metrics.errEio.increment();
        Instant now = clock.instant();
        Instant last = lastDeviceErrorLog.get();
        if (!now.isBefore(last.plus(LOG_INTERVAL)) && lastDeviceErrorLog.compareAndSet(last, now)) {
            long suppressed = suppressedDeviceErrorLogs.sumThenReset();
            log.warn("FUSE {} of disk {} at {} (+{}) failed, answered EIO: {}{}", op, disk, offset, length,
                    t.toString(), suppressed > 0 ? " (" + suppressed + " more since the last message)" : "");
        } else {
            suppressedDeviceErrorLogs.increment();
        }
        return -errno.eio();
    }

    /** How many device errors were not logged since the last message (for tests). */
    long suppressedDeviceErrorLogs() {
        return suppressedDeviceErrorLogs.sum();
    }
}
