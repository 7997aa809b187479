package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.SwarmId;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A seed's memory for {@link Referral bs_referral}: per piece, the last few agents (listen addresses) it sent the
 * whole piece to or referred for it, each with when. Agents it sent the piece to are named before agents it only
 * referred (those may still be waiting for it), each group most recent first. Entries older than {@code window} are
 * not named and are dropped by {@link #prune}. Time stamps are nanoseconds of the server's clock.
 */
final class ReferralBook {

    private record Entry(InetSocketAddress holder, long at, boolean sent) {
    }

    private record Key(SwarmId swarm, int piece) {
    }

    private final long window;
    private final int holders;
    private final Map<Key, Deque<Entry>> byPiece = new ConcurrentHashMap<>();

    /**
     * @param window  how long after the seed sent a piece to an agent (or referred one for it) the agent is named
     * @param holders the most agents remembered and named per piece
     */
    ReferralBook(Duration window, int holders) {
        if (!window.isPositive() || holders < 1 || holders > Referral.MAX_HOLDERS) {
            throw new IllegalArgumentException("referral window must be positive and holders in [1, "
                    + Referral.MAX_HOLDERS + "]: " + window + ", " + holders);
        }
        this.window = window.toNanos();
        this.holders = holders;
    }

    /** {@code holder} got {@code piece} from us ({@code sent}), or was referred for it, at {@code now}. */
    void note(SwarmId swarm, int piece, InetSocketAddress holder, long now, boolean sent) {
        Deque<Entry> d = byPiece.computeIfAbsent(new Key(swarm, piece), k -> new ArrayDeque<>(holders + 1));
        synchronized (d) {
            d.removeIf(e -> e.holder().equals(holder));
            d.addFirst(new Entry(holder, now, sent));
            while (d.size() > holders) {
                d.removeLast();
            }
        }
    }

    /**
     * The agents that got {@code piece} (or were referred for it) within the window before {@code now}, but
     * {@code except}: those it was sent to first, each group most recent first.
     */
    List<InetSocketAddress> holders(SwarmId swarm, int piece, InetSocketAddress except, long now) {
        Deque<Entry> d = byPiece.get(new Key(swarm, piece));
        if (d == null) {
            return List.of();
        }
        List<InetSocketAddress> out = new ArrayList<>(holders);
        List<InetSocketAddress> referred = new ArrayList<>(holders);
        synchronized (d) {
            for (Entry e : d) {
                if (now - e.at() < window && !e.holder().equals(except)) {
                    (e.sent() ? out : referred).add(e.holder());
                }
            }
        }
        out.addAll(referred);
        return out;
    }

    /** Drops the entries older than the window, and the pieces left with none. */
    void prune(long now) {
        for (Iterator<Map.Entry<Key, Deque<Entry>>> it = byPiece.entrySet().iterator(); it.hasNext(); ) {
            Deque<Entry> d = it.next().getValue();
            synchronized (d) {
                d.removeIf(e -> now - e.at() >= window);
                if (d.isEmpty()) {
                    it.remove();
                }
            }
        }
    }

    /** Pieces with an entry, for tests and gauges. */
    int pieces() {
        return byPiece.size();
    }
}
