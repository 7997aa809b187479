package io.bootswarm.fleet;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a load run got back, safe to record into from many threads: the latency of every answered request (an
 * HdrHistogram in microseconds, three significant digits) and every failure counted by kind: {@code HTTP <status>}
 * for an answer other than 200, {@code timeout} for no answer within the request timeout, {@code connect timeout},
 * {@code connection refused}, or {@code connection error (<exception>)} for a connection lost or reset.
 * A failure's time is not in the histogram.
 */
final class LoadStats {

    /** Percentiles in milliseconds and the failures by kind. */
    record Summary(long ok, Map<String, Long> errors, double p50, double p99, double p999, double max) {

        long failed() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String toString() {
            return "%d ok, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms, errors %s".formatted(ok, p50, p99, p999,
                    max, errors.isEmpty() ? "none" : errors);
        }
    }

    private final Histogram micros = new ConcurrentHistogram(3);
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    void answered(long latencyNanos) {
        micros.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(latencyNanos)));
    }

    void failed(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** {@code status} other than 200 counted as a failure, else {@code latencyNanos} recorded. */
    void completed(int status, long latencyNanos) {
        if (status == 200) {
            answered(latencyNanos);
        } else {
            failed("HTTP " + status);
        }
    }

    /** The kind a request failing with {@code error} is counted as. */
    static String kind(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "connect timeout";
        }
        if (e instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof IOException) {
            return "connection error (" + e.getClass().getSimpleName() + ")";
        }
        return e.getClass().getSimpleName();
    }

    Summary summary() {
        Map<String, Long> e = new TreeMap<>();
        errors.forEach((k, v) -> e.put(k, v.sum()));
        return new Summary(micros.getTotalCount(), Collections.unmodifiableMap(e), ms(micros.getValueAtPercentile(50)),
                ms(micros.getValueAtPercentile(99)), ms(micros.getValueAtPercentile(99.9)), ms(micros.getMaxValue()));
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }
}
