package io.bootswarm.allocator.leader;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/** {@link LeaseTable} in memory, with the compare-and-set rules of {@link JdbcLeaseTable}'s statements. */
public final class InMemoryLeaseTable implements LeaseTable {

    private record Row(String holder, long epoch, Instant expiresAt) {
    }

    private final Map<String, Row> rows = new HashMap<>();

    @Override
    public synchronized OptionalLong acquire(String name, String holder, Instant now, Instant until) {
        Row row = rows.get(name);
        if (row != null && row.expiresAt().isAfter(now)) {
            return OptionalLong.empty();
        }
        long epoch = row == null ? 1 : row.epoch() + 1;
        rows.put(name, new Row(holder, epoch, until));
        return OptionalLong.of(epoch);
    }

    @Override
    public synchronized boolean renew(String name, String holder, long epoch, Instant now, Instant until) {
        if (!holds(name, holder, epoch, now)) {
            return false;
        }
        rows.put(name, new Row(holder, epoch, until));
        return true;
    }

    @Override
    public synchronized void release(String name, String holder, long epoch, Instant now) {
        Row row = rows.get(name);
        if (row != null && row.holder().equals(holder) && row.epoch() == epoch) {
            rows.put(name, new Row(holder, epoch, now));
        }
    }

    @Override
    public synchronized boolean holds(String name, String holder, long epoch, Instant now) {
        Row row = rows.get(name);
        return row != null && row.holder().equals(holder) && row.epoch() == epoch && row.expiresAt().isAfter(now);
    }
}
