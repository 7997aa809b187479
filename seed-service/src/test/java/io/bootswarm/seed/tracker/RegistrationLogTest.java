package io.bootswarm.seed.tracker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RegistrationLogTest {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private RegistrationLog log;
    private final RegistrationBody registration = new RegistrationBody("s1", "127.0.0.1", 6881, "http://127.0.0.1:8081");

    @BeforeEach
    void setUp() {
        Logger logger = (Logger) LoggerFactory.getLogger("registration-log-test");
        logger.setLevel(Level.DEBUG);
        appender.start();
        logger.addAppender(appender);
        log = new RegistrationLog(logger, "http://tracker:8080");
    }

    @Test
    void logsStateChangesNotAttempts() {
        log.succeeded(registration);
        log.succeeded(registration);
        for (int i = 0; i < 50; i++) {
            log.failed(new IOException("connection refused"), "5 s");
        }
        assertThat(log.failing()).isTrue();
        assertThat(log.failures()).isEqualTo(50);
        log.succeeded(registration);
        log.succeeded(registration);
        log.failed(new IOException("again"), "5 s");

        assertThat(atLeastInfo()).extracting(ILoggingEvent::getLevel).containsExactly(
                Level.INFO, Level.WARN, Level.INFO, Level.WARN);
        assertThat(atLeastInfo().get(0).getFormattedMessage()).contains("registered with tracker http://tracker:8080");
        assertThat(atLeastInfo().get(1).getFormattedMessage()).contains("is failing").contains("connection refused")
                .contains("5 s");
        assertThat(atLeastInfo().get(2).getFormattedMessage()).contains("recovered after 50 failed attempt(s)");
        assertThat(log.failures()).isEqualTo(1);
    }

    @Test
    void aTrackerDownFromTheStartWarnsOnceAndRecoversOnce() {
        log.failed(new IllegalStateException("tracker answered 503 SERVICE_UNAVAILABLE"), "5 s");
        log.failed(new IllegalStateException("tracker answered 503 SERVICE_UNAVAILABLE"), "5 s");
        log.succeeded(registration);
        assertThat(atLeastInfo()).extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.INFO);
        assertThat(log.failing()).isFalse();
    }

    @Test
    void failuresAreDescribedDownToTheirRootCause() {
        Exception e = new RuntimeException("I/O error on POST request: null", new java.net.ConnectException());
        assertThat(RegistrationLog.describe(e))
                .isEqualTo("RuntimeException: I/O error on POST request: null, caused by ConnectException");
        assertThat(RegistrationLog.describe(new IOException())).isEqualTo("IOException");
    }

    private List<ILoggingEvent> atLeastInfo() {
        return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO)).toList();
    }
}
