package io.bootswarm.tracker.launch;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.ExponentialBackOff;

import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.time.Duration;

/**
 * Tells a failure of the tracker's database (unreachable, restarting, refusing connections, a transient error)
 * from a failure of the record being handled, so that the Kafka error handler retries the first kind until the
 * database is back instead of skipping the record after a few attempts: a launch status consumed while PostgreSQL
 * is down is applied when it returns (Kafka holds it meanwhile; the offset is not committed), never lost.
 */
public final class DatabaseOutage {

    private DatabaseOutage() {
    }

    /** Whether {@code e}, or one of its causes, says the database cannot be used right now. */
    public static boolean causes(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CannotCreateTransactionException || t instanceof DataAccessResourceFailureException
                    || t instanceof TransientDataAccessException || t instanceof SQLTransientException) {
                return true;
            }
            // 08: connection exception; 57P: operator intervention (shutdown, terminated, cannot connect now)
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    /** Retries without limit: 200 ms, doubling up to {@code maxInterval}. */
    public static BackOff untilBack(Duration maxInterval) {
        ExponentialBackOff backOff = new ExponentialBackOff(200, 2.0);
        backOff.setMaxInterval(maxInterval.toMillis());
        backOff.setMaxAttempts(Long.MAX_VALUE);
        backOff.setMaxElapsedTime(Long.MAX_VALUE);
        return backOff;
    }
}
