package io.bootswarm.allocator.leader;

import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@link LeaseTable} on the {@code leader_lease} table of the allocator's schema. A take is one
 * {@code insert ... on conflict do update ... where expires_at <= now}, a renewal one conditional
 * update, and {@link #holds} a {@code select ... for share}, which a take's row lock waits for: a plan
 * stored while the lease is held commits before any takeover does.
 */
public class JdbcLeaseTable implements LeaseTable {

    private final JdbcTemplate jdbc;

    public JdbcLeaseTable(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public OptionalLong acquire(String name, String holder, Instant now, Instant until) {
        List<Long> epoch = jdbc.queryForList("""
                insert into leader_lease (name, holder, epoch, expires_at) values (?, ?, 1, ?)
                on conflict (name) do update
                    set holder = excluded.holder, epoch = leader_lease.epoch + 1, expires_at = excluded.expires_at
                    where leader_lease.expires_at <= ?
                returning epoch""", Long.class, name, holder, ts(until), ts(now));
        return epoch.isEmpty() ? OptionalLong.empty() : OptionalLong.of(epoch.getFirst());
    }

    @Override
    public boolean renew(String name, String holder, long epoch, Instant now, Instant until) {
        return jdbc.update("update leader_lease set expires_at = ? where name = ? and holder = ? and epoch = ? "
                + "and expires_at > ?", ts(until), name, holder, epoch, ts(now)) == 1;
    }

    @Override
    public void release(String name, String holder, long epoch, Instant now) {
        jdbc.update("update leader_lease set expires_at = ? where name = ? and holder = ? and epoch = ?", ts(now), name,
                holder, epoch);
    }

    @Override
    public boolean holds(String name, String holder, long epoch, Instant now) {
        return !jdbc.queryForList("select epoch from leader_lease where name = ? and holder = ? and epoch = ? "
                + "and expires_at > ? for share", Long.class, name, holder, epoch, ts(now)).isEmpty();
    }

    private static OffsetDateTime ts(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }
}
