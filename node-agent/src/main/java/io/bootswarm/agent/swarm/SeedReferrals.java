package io.bootswarm.agent.swarm;

import io.bootswarm.common.wire.Referral;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows a seed's {@link Referral bs_referral}: the seed answered a demand request for a piece it sent to other
 * agents a moment ago by naming them (and rejecting the request). Only referrals that come on a connection to a
 * seed count: a peer agent cannot redirect us. The named agents we have no demand connection to are dialled
 * ({@link PeerDirectory#dialReferred}, outside {@code maxConnections}, at most {@link ReferralSettings#connections()}
 * open at once), and the demand fetch for the piece waits ({@link #waits}) until a connected agent shows the piece
 * (its bitfield or {@code have}), then fetches it from that agent; if {@code wait} runs out first it asks the seed
 * again, which serves it. The seed notes us as a holder too, so hosts that miss the piece later are sent to us:
 * copies spread as a tree from the seed's first few, whatever the size of each host's view of the swarm.
 *
 * <p>Counted per image: {@code bootswarm.agent.referrals.received}, {@code .ignored} (not from a seed),
 * {@code .followed} (the piece then came from an agent) and {@code .expired} (the wait ran out: asked the seed).
 */
final class SeedReferrals {

    private static final Logger log = LoggerFactory.getLogger(SeedReferrals.class);

    /** A referral for a piece: wait for an agent to show it until {@code until}. */
    private record Pending(List<Peer> holders, Instant until) {
    }

    private final ReferralSettings settings;
    private final Duration wait;
    private final PeerDirectory peers;
    private final ChangeSignal signal;
    private final InstantSource clock;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final Counter received;
    private final Counter ignored;
    private final Counter followed;
    private final Counter expired;

    /** @param wait how long a referred fetch waits for a named agent (the referral settings' or the coalesce wait) */
    SeedReferrals(ReferralSettings settings, Duration wait, PeerDirectory peers, ChangeSignal signal,
                  InstantSource clock, MeterRegistry meters, String image) {
        this.settings = settings;
        this.wait = wait;
        this.peers = peers;
        this.signal = signal;
        this.clock = clock;
        this.received = counter(meters, "received", "bs_referral messages from seeds: a demand request was answered "
                + "with agents that got the piece a moment ago", image);
        this.ignored = counter(meters, "ignored", "bs_referral messages from peers that are not seeds: ignored",
                image);
        this.followed = counter(meters, "followed", "referred demand fetches that then got the piece from an agent",
                image);
        this.expired = counter(meters, "expired", "referred demand fetches whose wait for a named agent ran out: "
                + "they asked the seed again", image);
    }

    private static Counter counter(MeterRegistry meters, String name, String description, String image) {
        return Counter.builder("bootswarm.agent.referrals." + name).description(description).tag("image", image)
                .register(meters);
    }

    /** Whether connections should ask for {@code bs_referral}. */
    boolean enabled() {
        return settings.enabled();
    }

    /** A connected peer referred us for a piece; called on the connection's reader thread. */
    void referred(PeerConnection from, Referral.Holders holders) {
        if (!from.peer().seed()) {
            ignored.increment();
            log.debug("ignoring a referral for piece {} from {}, which is no seed", holders.piece(), from.peer());
            return;
        }
        received.increment();
        List<Peer> named = holders.holders().stream().map(SeedReferrals::peer).toList();
        pending.put(holders.piece(), new Pending(named, clock.instant().plus(wait)));
        for (Peer p : named) {
            peers.dialReferred(p, settings.connections());
        }
        signal.signal();
    }

    private static Peer peer(InetSocketAddress a) {
        return new Peer(a.getAddress().getHostAddress(), a.getPort(), false);
    }

    /**
     * Whether a demand fetch of {@code piece} waits for an agent a seed referred us to: it has a referral whose wait
     * has not run out, and none of the {@code ready} connections (those that could serve the piece now) is an
     * agent's. A referral whose wait ran out is dropped (counted as expired): the fetch asks the seed again.
     */
    boolean waits(int piece, List<PeerConnection> ready) {
        Pending p = pending.get(piece);
        if (p == null) {
            return false;
        }
        for (PeerConnection c : ready) {
            if (!c.peer().seed()) {
                return false;
            }
        }
        if (clock.instant().isBefore(p.until())) {
            return true;
        }
        if (pending.remove(piece, p)) {
            expired.increment();
            log.debug("piece {}: no referred agent ({}) showed it within {}; asking the seed again", piece,
                    p.holders(), wait);
        }
        return false;
    }

    /** A fetch got {@code piece} from {@code source}: its referral, if any, is settled. */
    void fetched(int piece, Peer source) {
        if (pending.remove(piece) != null && !source.seed()) {
            followed.increment();
        }
    }
}
