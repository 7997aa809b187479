package io.bootswarm.fleet;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LoadStatsTest {

    @Test
    void percentilesOfTheAnsweredRequestsInMilliseconds() {
        LoadStats stats = new LoadStats();
        for (int ms = 1; ms <= 1000; ms++) {
            stats.completed(200, TimeUnit.MILLISECONDS.toNanos(ms));
        }
        stats.completed(503, TimeUnit.SECONDS.toNanos(30));

        LoadStats.Summary s = stats.summary();

        assertThat(s.ok()).isEqualTo(1000);
        assertThat(s.p50()).isCloseTo(500, within(1.0));
        assertThat(s.p99()).isCloseTo(990, within(1.0));
        assertThat(s.p999()).isCloseTo(999, within(1.0));
        assertThat(s.max()).isCloseTo(1000, within(1.0));
        assertThat(s.errors()).isEqualTo(Map.of("HTTP 503", 1L));
        assertThat(s.failed()).isEqualTo(1);
    }

    @Test
    void failuresAreCountedByKindUnwrappingTheAsyncClientsWrapper() {
        assertThat(LoadStats.kind(new CompletionException(new HttpTimeoutException("request timed out"))))
                .isEqualTo("timeout");
        assertThat(LoadStats.kind(new HttpConnectTimeoutException("connect timed out"))).isEqualTo("connect timeout");
        assertThat(LoadStats.kind(new CompletionException(new ConnectException("refused"))))
                .isEqualTo("connection refused");
        assertThat(LoadStats.kind(new IOException("reset"))).isEqualTo("connection error (IOException)");
        assertThat(LoadStats.kind(new IllegalStateException())).isEqualTo("IllegalStateException");
    }
}
