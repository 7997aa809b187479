package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.PieceUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fetches pieces of one image from the swarm's peers: one fetch per piece however many disks want
 * it, verified against the manifest's SHA-256 before it is stored; a peer whose bytes fail
 * verification is banned and the piece fetched from another.
 *
 * <p>Attempts are counted per source and spread over the sources that have the piece (the one asked
 * least for it first, peers snubbed for slowness last). A closed connection is no failed attempt: the
 * directory reconnects with back-off while the fetch waits for a usable connection. A demand fetch gives
 * up only when no source delivered the piece within {@code demandDeadline}, and then names every source
 * it tried and what went wrong with each; a prefetch gives up after {@code maxAttempts} attempts. A source
 * that rejects a request or withdraws the piece ({@link PieceUnavailableException}: its cache evicted it) is
 * no failed attempt either, and is neither snubbed nor banned: the piece is asked of another source.
 *
 * <p>A connection's block request budget is respected: a fetch asks a connection that has room for the
 * whole piece, and while every connection that has the piece is full it waits (queued for budget).
 *
 * <p><em>Blocks from several peers.</em> The blocks of a piece arrive into one {@link PieceAssembly}, kept across
 * attempts (a block received is never asked for again, unless the piece fails verification). A demand fetch whose
 * piece two or more agents not snubbed hold and have room for splits its missing blocks into runs over up to
 * {@code splitSources} of them ({@link #split}); seeds are not split over. A connection whose run is done while
 * blocks are missing asks, once per attempt, for every block still missing: whichever copy arrives first counts,
 * the other request is cancelled. <em>Verification:</em> a piece whose blocks all came from one peer and fail
 * SHA-256 bans that peer; a piece assembled from several peers that fails bans nobody (the rotten block cannot be
 * told from the others), and is fetched again <em>whole from one peer</em> (not split; an attempt of that copy that
 * fails starts over), which is banned if that copy fails too.
 *
 * <p><em>Endgame.</em> Once every piece this host still misses is being fetched, a fetch whose blocks are all asked
 * of one peer also asks another agent that has the piece (not snubbed, with room) for the blocks still missing, in
 * reverse order, once per attempt (not for a copy fetched whole after a mixed one failed, which must come from one
 * peer to tell who sent the rotten block): the two copies meet in the middle and the second copy of a block is cancelled
 * ({@code bootswarm.agent.fetch.endgame}). At the end of a fill the last pieces are held by few agents, each asked by
 * every other; without it a host waits for its turn at the first holder while another holder's upload idles.
 *
 * <p><em>Hedged demand.</em> A demand fetch whose connections have all sent nothing at all (no block of any piece) for
 * {@code demandHedge} since they were asked also asks another source that has the piece and is not silent itself, an
 * agent before a seed, for the blocks still missing (in reverse order, the second copy of a block cancelled), and
 * again after as long without a block while untried sources are left ({@code bootswarm.agent.fetch.hedged}). A
 * connection silent that long is also asked last by new fetches. A read then waits about {@code demandHedge} on a
 * peer that unchoked and went silent (a tarpit, a hung host), not {@code pieceTimeout} for each such peer in turn,
 * which could spend its whole deadline on them; a busy peer that still sends other blocks is never hedged. Not for
 * a copy fetched whole after a mixed one failed.
 *
 * <p><em>Requests move off a snubbed peer.</em> When a request times out on a connection, its peer is snubbed and
 * every other request outstanding on that peer's connections is withdrawn in the same step
 * ({@link PeerConnection#timedOut}): each of those fetches asks another connection for the blocks it still misses
 * (the snubbed peer last), keeping what arrived, without counting a failed attempt
 * ({@code bootswarm.agent.fetch.moved}).
 *
 * <p>A <em>demand</em> fetch ({@link #require}) goes over urgent connections, which our peers serve
 * before everything else; a demand for a piece being prefetched <em>escalates</em> that fetch to
 * urgent (withdrawing the slower request). A <em>prefetch</em> ({@link #prefetch}) asks other
 * agents first and a seed only while one of {@code seedPrefetchSlots} is free; with the seed
 * partition on, only for a piece this host owns, or one no agent got within {@code pieceTimeout}.
 *
 * <p><em>Demand coalescing.</em> While a request for a piece is out to a seed, the piece is advertised to our
 * peers as being fetched ({@link ServedPieces#fetchStarted}, {@code bs_fetching}); a {@code have} or the end of
 * the request withdraws it. A request to an agent is not advertised: that copy is in the swarm already, and at
 * a message to every peer per piece the advertisements cost more than waiting for it could save. A demand fetch
 * whose piece no connected agent can serve, while a connected agent is fetching it, waits for that agent instead
 * of asking a seed, at most {@code coalesceWait} per fetch: when the agent gets the piece its {@code have} makes
 * it a source, and the piece is fetched from it. A fetch that waits has no request out; it is advertised only
 * while it waits for an agent whose peer id ranks before ours (a relay, see {@link #waitsForAFetchingAgent}), so
 * two fetches never wait for each other. Two hosts that miss a
 * piece at once (within the time an advertisement takes to arrive) both ask the seed; the one with the higher
 * peer id then <em>yields</em> ({@link #peerFetching}): as long as no block of its request has arrived, it
 * withdraws the request and waits for the other. The host with the lowest peer id among those fetching a piece
 * never yields, so one of them keeps fetching. An agent a fetch waited for in vain (the wait ran out) is not
 * waited for again for {@code snubDuration}.
 *
 * <p>Time (piece timeouts, how long to wait for a usable connection, when a prefetch may go to the
 * seed, the coalescing wait) is read from the swarm's {@link InstantSource}.
 */
final class PieceFetcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceFetcher.class);
    /** How long a fetch waits for a change before it looks at its connections again. */
    private static final Duration RECHECK = Duration.ofMillis(20);

    private final Manifest manifest;
    private final PieceStore store;
    private final SwarmSettings settings;
    private final ServedPieces served;
    private final PeerDirectory peers;
    private final ChangeSignal signal;
    private final InstantSource clock;
    private final ExecutorService executor;
    private final Map<Integer, Fetch> inFlight = new ConcurrentHashMap<>();
    private final Semaphore seedPrefetch;
    private final Map<String, AtomicLong> piecesByPeer = new ConcurrentHashMap<>();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong piecesFetched = new AtomicLong();
    private final AtomicLong piecesFromSeed = new AtomicLong();
    private final AtomicLong verificationFailures = new AtomicLong();
    private final AtomicLong escalations = new AtomicLong();
    private final AtomicInteger queuedForBudget = new AtomicInteger();
    private final Timer demandWait;
    private final Counter fetchedBytesCounter;
    private final Counter unavailableCounter;
    private final Counter coalescedCounter;
    private final AtomicInteger coalescing = new AtomicInteger();
    private final Counter yieldedCounter;
    private final Counter expiredCounter;
    private final Counter movedCounter;
    private final Counter splitCounter;
    private final Counter endgameCounter;
    private final Counter hedgedCounter;
    /** Completes when every piece this host misses is being fetched (and stays complete). */
    private final CompletableFuture<Void> endgame = new CompletableFuture<>();
    /** Agents ({@code host:port}) a fetch waited for in vain, and until when none waits for them again. */
    private final Map<String, Instant> notWaitedForUntil = new ConcurrentHashMap<>();
    private final byte[] ourPeerId;
    /** Seeds' referrals to follow; null: none. */
    private volatile SeedReferrals referrals;
    private volatile boolean closed;

    /** One piece being fetched; a prefetch can be raised to a demand fetch while it runs. */
    private final class Fetch implements Runnable {
        final int piece;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Instant created = clock.instant();
        volatile boolean urgent;
        /** When a demand fetch gives up: {@code demandDeadline} after it became one. */
        volatile Instant deadline;
        volatile PeerConnection active;
        /** When waiting for an agent that is fetching the piece ends; null until the fetch first waited. */
        volatile Instant coalesceUntil;
        /** The agents ({@code host:port}) the fetch waited for. */
        final Set<String> waitedFor = ConcurrentHashMap.newKeySet();
        /** Its request to a seed was withdrawn to wait for an agent fetching the piece ({@link #peerFetching}). */
        volatile boolean yielded;
        /** Its coalescing wait ran out (counted once). */
        volatile boolean expired;
        /** Advertised while it waits ({@code bs_fetching}), for a relay: see {@link #waitsForAFetchingAgent}. */
        volatile boolean relaying;
        /** Connections its current attempt asked for blocks (more than one: split). */
        volatile int parts;

        Fetch(int piece, boolean urgent) {
            this.piece = piece;
            this.urgent = urgent;
            this.deadline = created.plus(settings.demandDeadline());
        }

        void escalate() {
            if (!urgent) {
                deadline = clock.instant().plus(settings.demandDeadline());
                urgent = true;
                escalations.incrementAndGet();
                PeerConnection a = active;
                if (a != null && !a.isUrgent()) {
                    a.cancel(piece);
                }
                signal.signal();
            }
        }

        @Override
        public void run() {
            try {
                fetch(this);
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            } finally {
                inFlight.remove(piece, this);
                if (relaying) {
                    served.fetchEnded(piece);
                }
            }
        }
    }

    /** @param executor runs the fetches */
    PieceFetcher(Manifest manifest, PieceStore store, SwarmSettings settings, ServedPieces served, PeerDirectory peers,
                 ChangeSignal signal, InstantSource clock, ExecutorService executor, MeterRegistry meters) {
        this.manifest = manifest;
        this.store = store;
        this.settings = settings;
        this.served = served;
        this.peers = peers;
        this.signal = signal;
        this.clock = clock;
        this.executor = executor;
        this.seedPrefetch = new Semaphore(settings.seedPrefetchSlots());
        this.demandWait = Timer.builder("bootswarm.agent.demand.wait")
                .description("time a read waits for a missing piece").tag("image", manifest.name())
                .publishPercentiles(0.5, 0.99).register(meters);
        this.fetchedBytesCounter = Counter.builder("bootswarm.agent.fetched.bytes").tag("image", manifest.name())
                .register(meters);
        this.unavailableCounter = Counter.builder("bootswarm.agent.fetch.unavailable")
                .description("piece requests a source rejected or withdrew (evicted there): asked of another source,"
                        + " not counted as a failure").tag("image", manifest.name()).register(meters);
        this.coalescedCounter = Counter.builder("bootswarm.agent.fetch.coalesced")
                .description("demand fetches that waited for a connected agent fetching their piece and then got it"
                        + " from an agent, not from a seed").tag("image", manifest.name()).register(meters);
        this.expiredCounter = Counter.builder("bootswarm.agent.fetch.coalesce.expired")
                .description("demand fetches whose wait for a connected agent fetching their piece ran out"
                        + " (coalesce-wait) before an agent had it: they asked a seed").tag("image", manifest.name())
                .register(meters);
        this.yieldedCounter = Counter.builder("bootswarm.agent.fetch.yielded")
                .description("demand requests to a seed withdrawn, before any block came, to wait for a connected"
                        + " agent with a lower peer id that is fetching the same piece").tag("image", manifest.name())
                .register(meters);
        this.movedCounter = Counter.builder("bootswarm.agent.fetch.moved")
                .description("piece requests withdrawn from a peer snubbed for another request's timeout and asked of"
                        + " another connection (the blocks received kept), not counted as failed attempts")
                .tag("image", manifest.name()).register(meters);
        this.splitCounter = Counter.builder("bootswarm.agent.fetch.split")
                .description("pieces stored whose blocks came from more than one peer").tag("image", manifest.name())
                .register(meters);
        this.endgameCounter = Counter.builder("bootswarm.agent.fetch.endgame")
                .description("fetches that, once every missing piece was being fetched, also asked a second agent for"
                        + " the blocks still missing (endgame)").tag("image", manifest.name()).register(meters);
        this.hedgedCounter = Counter.builder("bootswarm.agent.fetch.hedged")
                .description("demand fetches that also asked another source after every connection asked had sent"
                        + " nothing for the demand hedge time").tag("image", manifest.name()).register(meters);
        this.ourPeerId = peers.peerId();
        Gauge.builder("bootswarm.agent.fetch.coalescing", this, PieceFetcher::coalescing)
                .description("demand fetches waiting now for a connected agent that is fetching their piece")
                .tag("image", manifest.name()).register(meters);
        Gauge.builder("bootswarm.agent.requests.queued", this, PieceFetcher::queuedForBudget)
                .description("piece fetches waiting for room in a connection's request budget")
                .tag("image", manifest.name()).register(meters);
    }

    /** Demand fetches wait for the agents seeds refer them to ({@link SeedReferrals#waits}). */
    void follow(SeedReferrals referrals) {
        this.referrals = referrals;
    }

    /** Returns once {@code piece} is in the store: a demand fetch, ahead of any prefetch. */
    void require(int piece) throws IOException {
        if (store.contains(manifest.hash(piece))) {
            return;
        }
        Instant start = clock.instant();
        try {
            start(piece, true).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for piece " + piece, e);
        } finally {
            demandWait.record(Duration.between(start, clock.instant()));
        }
    }

    /** Fetches {@code piece} ahead of need; completes when it is stored (at once if it is held). */
    CompletableFuture<Void> prefetch(int piece) {
        if (served.has(piece)) {
            return CompletableFuture.completedFuture(null);
        }
        return start(piece, false);
    }

    boolean inFlight(int piece) {
        return inFlight.containsKey(piece);
    }

    /** True while any piece is being fetched. */
    boolean fetching() {
        return !inFlight.isEmpty();
    }

    private CompletableFuture<Void> start(int piece, boolean urgent) {
        Fetch mine = new Fetch(piece, urgent);
        Fetch existing = inFlight.putIfAbsent(piece, mine);
        if (existing != null) {
            if (urgent) {
                existing.escalate();
            }
            return existing.done;
        }
        executor.execute(mine);
        checkEndgame(-1);
        return mine.done;
    }

    /**
     * Begins the endgame once every piece this host misses is being fetched (not counting {@code stored}, just
     * stored, nor fetches done but still in the map; -1: none); it lasts for the session.
     */
    private void checkEndgame(int stored) {
        if (!endgame.isDone()) {
            int missing = manifest.pieceCount() - manifest.zeroCount() - served.piecesPresent();
            int fetching = 0;
            for (Fetch f : inFlight.values()) {
                if (f.piece != stored && !f.done.isDone()) {
                    fetching++;
                }
            }
            if (missing > 0 && missing <= fetching) {
                endgame.complete(null);
            }
        }
    }

    /** What one source did for one fetch, for the message when the fetch gives up. */
    private static final class SourceLog {
        final String peer;
        int attempts;
        String lastError;

        SourceLog(Peer peer) {
            this.peer = peer.toString();
        }

        @Override
        public String toString() {
            return peer + ": " + attempts + (attempts == 1 ? " attempt" : " attempts")
                    + (lastError == null ? "" : ", last: " + lastError);
        }
    }

    private void fetch(Fetch f) throws IOException, InterruptedException {
        int piece = f.piece;
        PieceHash hash = manifest.hash(piece);
        if (store.contains(hash)) {
            served.markHeld(piece);
            return;
        }
        int length = manifest.pieceLength(piece);
        Map<String, SourceLog> sources = new LinkedHashMap<>();
        int attempts = 0;
        String noSource = null;
        PieceAssembly assembly = new PieceAssembly(piece, length);
        // the connections asked for blocks of the assembly, by peer: whom to ban
        Map<String, PeerConnection> askedOf = new HashMap<>();
        boolean whole = false;
        while (!closed) {
            boolean urgent = f.urgent;
            if (urgent ? !clock.instant().isBefore(f.deadline) : attempts >= settings.maxAttempts()) {
                break;
            }
            if (assembly.done.isDone()) { // the last block came as the attempt ended
                Verdict v = verifyAndStore(f, hash, assembly, sources, askedOf);
                if (v == Verdict.STORED) {
                    return;
                }
                whole |= v == Verdict.MIXED;
                assembly = new PieceAssembly(piece, length);
                askedOf.clear();
                attempts++;
                continue;
            }
            if (!settings.requestLatency().isZero()) {
                Thread.sleep(settings.requestLatency()); // emulated link latency (benchmarks): real time
            }
            Choice choice;
            try {
                choice = connectionFor(f, sources, assembly, whole);
            } catch (NoSourceException e) {
                noSource = e.getMessage();
                if (!f.urgent) {
                    attempts++;
                }
                continue;
            }
            List<Part> parts = new ArrayList<>(choice.parts());
            PeerConnection c = parts.getFirst().connection();
            for (Part p : parts) {
                String key = PeerDirectory.key(p.connection().peer());
                sources.computeIfAbsent(key, k -> new SourceLog(p.connection().peer())).attempts++;
                askedOf.put(key, p.connection());
            }
            f.yielded = false;
            f.parts = parts.size(); // before active: a yield looks at both
            f.active = c;
            if (!settings.coalesceWait().isZero() && c.peer().seed()) {
                served.fetchStarted(piece); // a copy from an agent is in the swarm already: not worth a message
            }
            if (f.urgent && !c.isUrgent()) {
                c.cancel(piece); // raised to a demand fetch while the request went out: escalate() found none active
            }
            try {
                // a request may take two piece timeouts while the connection delivers other blocks, no more
                Instant deadline = clock.instant().plus(settings.pieceTimeout().multipliedBy(2));
                if (urgent && f.deadline.isBefore(deadline)) {
                    deadline = f.deadline;
                }
                assemble(f, assembly, parts, deadline, askedOf, whole);
                Verdict v = verifyAndStore(f, hash, assembly, sources, askedOf);
                if (v == Verdict.STORED) {
                    return;
                }
                whole |= v == Verdict.MIXED;
                assembly = new PieceAssembly(piece, length);
                askedOf.clear();
                attempts++;
            } catch (PartFailed failed) {
                if (whole) { // refetching a mixed copy that failed: its next copy all from the one next source
                    assembly = new PieceAssembly(piece, length);
                    askedOf.clear();
                }
                PeerConnection from = failed.connection;
                SourceLog source = sources.computeIfAbsent(PeerDirectory.key(from.peer()),
                        k -> new SourceLog(from.peer()));
                IOException e = failed.reason;
                switch (e) {
                    case PeerConnection.RequestMovedException moved -> {
                        // its peer was snubbed for another request's timeout: the blocks missing are asked elsewhere
                        source.attempts--;
                        movedCounter.increment();
                        log.debug("piece {}: {}", piece, moved.getMessage());
                    }
                    case PartsEnded ended -> source.attempts--;
                    case PieceUnavailableException u -> {
                        // evicted at the source, which said so: it no longer advertises the piece, another is asked
                        source.lastError = u.getMessage();
                        unavailableCounter.increment();
                        log.debug("piece {}: {}", piece, u.getMessage());
                    }
                    case PeerConnection.PieceTimeoutException t -> {
                        source.lastError = t.getMessage(); // snubbed, and its other requests moved, in assemble
                        attempts++;
                        log.debug("piece {}: {}", piece, t.getMessage());
                    }
                    default -> {
                        if (f.yielded) {
                            f.yielded = false;
                            source.attempts--;
                            continue; // withdrawn to wait for an agent fetching the piece: not a failed attempt
                        }
                        if (f.urgent && !urgent) {
                            source.attempts--;
                            continue; // the prefetch request was withdrawn for a demand fetch: not a failed attempt
                        }
                        source.lastError = e.getMessage();
                        if (from.isOpen()) {
                            attempts++;
                        } // else the connection closed: it is reconnected with back-off, no attempt spent
                        log.debug("piece {} from {} failed: {}", piece, from.peer(), e.toString());
                    }
                }
            } finally {
                for (Part p : parts) {
                    if (!p.request().isDone()) {
                        p.connection().cancel(piece); // a copy of blocks that came from another source first
                    }
                }
                f.active = null;
                f.parts = 0;
                f.relaying = false;
                served.fetchEnded(piece);
                if (choice.seedSlot()) {
                    seedPrefetch.release();
                    signal.signal();
                }
            }
        }
        String tried = sources.isEmpty() ? "no source had it"
                : "sources tried: " + String.join("; ", sources.values().stream().map(SourceLog::toString).toList());
        Map<String, String> unreachable = peers.unreachable();
        String message = "no peer delivered a verified copy of piece " + piece + " of " + manifest.name()
                + (closed ? " (swarm closed)" : f.urgent ? " within " + settings.demandDeadline()
                : " after " + attempts + " attempts") + "; " + tried
                + (noSource == null ? "" : "; " + noSource)
                + (unreachable.isEmpty() ? "" : "; unreachable: " + unreachable);
        if (f.urgent && !closed) {
            log.warn("read of piece {} of {} fails: {}", piece, manifest.name(), message);
        }
        throw new IOException(message);
    }

    /** What became of a complete assembly. */
    private enum Verdict {
        /** Verified and stored. */
        STORED,
        /** Failed verification, all of it from one peer: that peer is banned. */
        BANNED,
        /** Failed verification, its blocks from several peers: nobody banned, the next copy comes whole from one. */
        MIXED
    }

    /**
     * Verifies a complete assembly and stores it. A piece that fails verification bans its peer when one peer
     * delivered every block of it; when several did, no peer is banned (one of them may be innocent) and the
     * piece is fetched again whole from one peer, which is banned if that copy fails too. A stored piece counts
     * for the peer that delivered most of its blocks (pieces by peer, pieces from a seed).
     */
    private Verdict verifyAndStore(Fetch f, PieceHash hash, PieceAssembly assembly, Map<String, SourceLog> sources,
                                   Map<String, PeerConnection> askedOf) throws IOException {
        int piece = f.piece;
        int length = assembly.length();
        byte[] bytes = assembly.done.join();
        Optional<VerifiedPiece> verified = VerifiedPiece.verify(hash, bytes, length);
        Set<String> from = assembly.sources();
        if (verified.isEmpty()) {
            verificationFailures.incrementAndGet();
            if (from.size() == 1) {
                String key = from.iterator().next();
                SourceLog source = sources.get(key);
                if (source != null) {
                    source.lastError = "failed SHA-256 verification (banned)";
                }
                PeerConnection c = askedOf.get(key);
                if (c != null) {
                    peers.ban(c, "piece " + piece + " failed SHA-256 verification");
                }
                return Verdict.BANNED;
            }
            for (String key : from) {
                SourceLog source = sources.get(key);
                if (source != null) {
                    source.lastError = "a copy assembled from " + from + " failed SHA-256 verification";
                }
            }
            log.info("piece {} of {}, assembled from {}, failed SHA-256 verification: fetching it whole from one peer",
                    piece, manifest.name(), from);
            return Verdict.MIXED;
        }
        store.put(verified.get()); // the store tells every swarm holding this piece, this one included
        served.pieceArrived(piece);
        checkEndgame(piece);
        for (String key : from) {
            PeerConnection c = askedOf.get(key);
            if (c != null) {
                peers.delivered(c.peer());
            }
        }
        Peer main = assembly.mainSource();
        piecesFetched.incrementAndGet();
        if (main != null && main.seed()) {
            piecesFromSeed.incrementAndGet();
        }
        bytesFetched.addAndGet(length);
        fetchedBytesCounter.increment(length);
        if (main != null) {
            piecesByPeer.computeIfAbsent(PeerDirectory.key(main), k -> new AtomicLong()).incrementAndGet();
            if (f.coalesceUntil != null && !main.seed()) {
                coalescedCounter.increment(); // waited, and an agent served it: whichever got it first
            }
        }
        if (from.size() > 1) {
            splitCounter.increment();
        }
        SeedReferrals r = referrals;
        if (r != null && main != null) {
            r.fetched(piece, main);
        }
        return Verdict.STORED;
    }

    /** A request for blocks of a piece on one connection. */
    private record Part(PeerConnection connection, CompletableFuture<byte[]> request) {
    }

    /** A part of an attempt failed and no other part was left: why, and on which connection. */
    private static final class PartFailed extends Exception {
        final transient PeerConnection connection;
        final IOException reason;

        PartFailed(PeerConnection connection, IOException reason) {
            super(reason.getMessage(), reason, false, false);
            this.connection = connection;
            this.reason = reason;
        }
    }

    /** Every part of an attempt ended while blocks were still missing (no room to ask for them again). */
    private static final class PartsEnded extends IOException {
        PartsEnded(String message) {
            super(message);
        }
    }

    /**
     * Waits until every block of {@code a} arrived over {@code parts} (a list this adds to). A part whose blocks all
     * arrived while others are missing asks its connection, once, for every block still missing (endgame: the copy
     * that arrives second is cancelled). A part that fails while others remain is dropped (its blocks are asked for
     * as those finish); a part whose connection leaves it without a block for {@code pieceTimeout}, or that is not
     * done by {@code deadline}, times out: its peer is snubbed and every other request on that peer's connections
     * is moved ({@link PeerConnection#timedOut}, {@link PeerConnection#moveAll}). Throws {@link PartFailed} when the
     * last part failed.
     */
    private void assemble(Fetch f, PieceAssembly a, List<Part> parts, Instant deadline,
                          Map<String, PeerConnection> askedOf, boolean whole) throws PartFailed, InterruptedException {
        int piece = f.piece;
        Set<PeerConnection> extended = new HashSet<>();
        boolean endgameAsked = whole; // a copy refetched whole after a mixed one failed comes from one peer
        Duration hedge = f.urgent && !whole ? settings.demandHedge() : Duration.ZERO;
        Instant hedgeAgain = null;
        while (!a.done.isDone()) {
            CompletableFuture<Void> change = null;
            if (!endgameAsked && endgame.isDone() && parts.size() == 1) {
                change = signal.next(); // taken before looking: a second source that turns up later wakes the wait
                Part second = anotherPart(f, a, askedOf.keySet(), false);
                if (second != null) {
                    endgameAsked = true;
                    parts.add(second);
                    askedOf.put(PeerDirectory.key(second.connection().peer()), second.connection());
                    endgameCounter.increment();
                }
            }
            CompletableFuture<Void> hedgeChange = null;
            if (!hedge.isZero()) {
                Instant now = clock.instant();
                Instant quiet = quietUntil(parts, piece, hedge);
                if (quiet != null && !now.isBefore(quiet) && (hedgeAgain == null || !now.isBefore(hedgeAgain))) {
                    hedgeChange = signal.next(); // taken before looking: a source that turns up later wakes the wait
                    peers.ensureConnections(true); // rare: not throttled like the fetches' look
                    Part extra = anotherPart(f, a, askedOf.keySet(), true);
                    if (extra != null) {
                        hedgeChange = null;
                        hedgeAgain = now.plus(hedge);
                        parts.add(extra);
                        askedOf.put(PeerDirectory.key(extra.connection().peer()), extra.connection());
                        hedgedCounter.increment();
                    }
                }
            }
            PartFailed failure = null;
            List<Part> more = new ArrayList<>();
            for (Iterator<Part> it = parts.iterator(); it.hasNext(); ) {
                Part p = it.next();
                if (!p.request().isDone()) {
                    continue;
                }
                it.remove();
                if (p.request().isCompletedExceptionally()) {
                    IOException cause = causeOf(p.request());
                    failure = new PartFailed(p.connection(), cause);
                } else if (!a.done.isDone() && extended.add(p.connection())) {
                    int[] missing = a.missing();
                    CompletableFuture<byte[]> r = missing.length == 0 ? null
                            : p.connection().requestBlocksIfRoom(a, missing);
                    if (r != null) {
                        more.add(new Part(p.connection(), r));
                        askedOf.put(PeerDirectory.key(p.connection().peer()), p.connection());
                    }
                }
            }
            parts.addAll(more);
            if (a.done.isDone()) {
                return;
            }
            if (parts.isEmpty()) {
                throw failure != null ? failure : new PartFailed(f.active,
                        new PartsEnded("piece " + piece + ": every request ended with blocks missing"));
            }
            if (failure != null) {
                if (failure.reason instanceof PeerConnection.RequestMovedException) {
                    movedCounter.increment(); // the parts left ask for its blocks as they finish
                }
                log.debug("piece {}: a part failed, {} left: {}", piece, parts.size(), failure.reason.toString());
            }
            Instant until = deadline;
            for (Part p : parts) {
                Instant stalls = p.connection().stallsAt(piece, settings.pieceTimeout());
                if (stalls != null && stalls.isBefore(until)) {
                    until = stalls;
                }
            }
            if (!hedge.isZero() && hedgeChange == null) { // with no source to hedge with, a swarm change wakes it
                Instant quiet = quietUntil(parts, piece, hedge);
                if (quiet != null) {
                    Instant next = hedgeAgain != null && hedgeAgain.isAfter(quiet) ? hedgeAgain : quiet;
                    if (next.isBefore(until)) {
                        until = next;
                    }
                }
            }
            CompletableFuture<?>[] waitFor = new CompletableFuture<?>[parts.size() + 3];
            waitFor[0] = a.done;
            // wakes the wait when the endgame begins, and then when a second source may have turned up
            waitFor[1] = !endgame.isDone() ? endgame : change != null && !endgameAsked ? change : a.done;
            waitFor[2] = hedgeChange != null ? hedgeChange : a.done; // a source to hedge with may have turned up
            for (int i = 0; i < parts.size(); i++) {
                waitFor[i + 3] = parts.get(i).request();
            }
            try {
                ClockWaits.get(CompletableFuture.anyOf(waitFor), until, clock);
            } catch (ExecutionException e) {
                // a part failed: looked at on the next pass
            } catch (TimeoutException e) {
                Instant now = clock.instant();
                boolean late = !now.isBefore(deadline);
                for (Part p : parts) {
                    Instant stalls = p.connection().stallsAt(piece, settings.pieceTimeout());
                    if (stalls != null && (late || !now.isBefore(stalls))) {
                        // withdrawn with PieceTimeoutException (and the connection's other requests moved), or
                        // moved already by another fetch's timeout: either way looked at on the next pass
                        PeerConnection c = p.connection();
                        c.timedOut(piece, "piece " + piece + " from " + c.peer() + " timed out: "
                                + (late ? "not delivered in time" : "no block for " + settings.pieceTimeout()),
                                () -> snubAndMove(c));
                    }
                }
            }
        }
    }

    /**
     * When every part has been without a block (of any piece on its connection) for {@code quiet}: the latest of
     * their {@link PeerConnection#stallsAt}; null when there is no part, or one has no request outstanding.
     */
    private static Instant quietUntil(List<Part> parts, int piece, Duration quiet) {
        Instant latest = null;
        for (Part p : parts) {
            Instant at = p.connection().stallsAt(piece, quiet);
            if (at == null) {
                return null;
            }
            if (latest == null || at.isAfter(latest)) {
                latest = at;
            }
        }
        return latest;
    }

    /** Whether {@code c} has left a request unanswered, without sending any block, for the demand hedge time. */
    private boolean silent(PeerConnection c) {
        return !settings.demandHedge().isZero() && c.silentFor(settings.demandHedge());
    }

    /**
     * Another request for the blocks of {@code a} still missing, in reverse order (the endgame's second source, or
     * a hedge): to a connection of the fetch's class whose peer has the piece, was not {@code asked} for this copy,
     * is not snubbed nor {@linkplain #silent silent} and has room; an agent (the least busy) before a seed, and a
     * seed only when {@code seeds}; null if none.
     */
    private Part anotherPart(Fetch f, PieceAssembly a, Set<String> asked, boolean seeds) {
        int[] missing = a.missing();
        if (missing.length == 0) {
            return null;
        }
        int[] reversed = new int[missing.length];
        for (int i = 0; i < missing.length; i++) {
            reversed[i] = missing[missing.length - 1 - i];
        }
        List<PeerConnection> ready = peers.ready(f.urgent, f.piece);
        ready.sort(Comparator.comparing((PeerConnection c) -> c.peer().seed())
                .thenComparingInt(c -> c.outstandingBlocks() + c.queuedBlocks()));
        for (PeerConnection c : ready) {
            if ((c.peer().seed() && !seeds) || peers.isSnubbed(c.peer()) || asked.contains(PeerDirectory.key(c.peer()))
                    || !c.hasRoomFor(reversed.length) || silent(c)) {
                continue;
            }
            CompletableFuture<byte[]> r = c.requestBlocksIfRoom(a, reversed);
            if (r != null) {
                return new Part(c, r);
            }
        }
        return null;
    }

    /** Snubs the peer of {@code c} and moves the requests outstanding on its other connection. */
    private void snubAndMove(PeerConnection c) {
        peers.snub(c.peer());
        for (PeerConnection other : peers.connectionsTo(c.peer())) {
            if (other != c) {
                other.moveAll();
            }
        }
    }

    private static IOException causeOf(CompletableFuture<?> f) {
        Throwable t = f.exceptionNow();
        return t instanceof IOException io ? io : new IOException(t);
    }

    /** The requests an attempt made (one or more connections), and whether it holds a seed prefetch slot. */
    private record Choice(List<Part> parts, boolean seedSlot) {
    }

    /** No connection could take the request within the wait. */
    private static final class NoSourceException extends IOException {
        NoSourceException(String message) {
            super(message);
        }
    }

    int queuedForBudget() {
        return queuedForBudget.get();
    }

    int coalescing() {
        return coalescing.get();
    }

    /** Whether a fetch waited for agent {@code key} in vain less than {@code snubDuration} ago. */
    private boolean notWaitedFor(String key, Instant now) {
        Instant until = notWaitedForUntil.get(key);
        if (until == null) {
            return false;
        }
        if (now.isBefore(until)) {
            return true;
        }
        notWaitedForUntil.remove(key, until);
        return false;
    }

    /**
     * A connected peer says it started fetching {@code piece}. If it is an agent whose peer id ranks before ours,
     * and a demand fetch of ours for the piece has a request out to a seed of which no block has arrived, and the
     * fetch never waited for an agent, the request is withdrawn and the fetch waits for that agent (at most
     * {@code coalesceWait}, from now): of hosts that missed a piece at once, the seed sends one copy. Called on
     * the connection's reader thread.
     */
    void peerFetching(PeerConnection from, int piece) {
        if (settings.coalesceWait().isZero() || from.peer().seed()) {
            return;
        }
        Fetch f = inFlight.get(piece);
        if (f == null || !f.urgent) {
            return;
        }
        PeerConnection active;
        synchronized (f) { // each connection's reader may tell of the same piece: the fetch yields once
            active = f.active;
            if (f.coalesceUntil != null || active == null || f.parts != 1 || !active.peer().seed()
                    || active.receivedBlocks(piece) != 0
                    || Arrays.compareUnsigned(from.remotePeerId(), ourPeerId) >= 0
                    || notWaitedFor(PeerDirectory.key(from.peer()), clock.instant())) {
                return;
            }
            f.coalesceUntil = clock.instant().plus(settings.coalesceWait());
            f.yielded = true;
        }
        yieldedCounter.increment();
        log.debug("piece {}: withdrawing the request to {} to wait for {}, which is fetching it", piece,
                active.peer(), from.peer());
        active.cancel(piece);
    }

    /**
     * Whether demand fetch {@code f} waits for a connected agent that is fetching its piece: coalescing is on, no
     * agent among the {@code ready} connections can serve the piece (only seeds), an agent told us it is fetching
     * it, and the fetch's wait ({@code coalesceWait} from the first time it waited) has not run out.
     *
     * <p>While one of the agents it waits for has a peer id that ranks before ours, the waiting fetch is itself
     * advertised ({@code bs_fetching}): it will have the piece soon, so a peer of ours that misses it waits for our
     * copy rather than asking the seed (a <em>relay</em>; without it, each host that is connected to no agent
     * with a request out asks the seed). A wait on agents that all rank after us is not advertised, so every
     * chain of advertised waits descends in peer id to an agent with a request out: no two fetches wait for each
     * other.
     */
    private boolean waitsForAFetchingAgent(Fetch f, List<PeerConnection> ready) {
        Duration wait = settings.coalesceWait();
        if (wait.isZero()) {
            return false;
        }
        for (PeerConnection c : ready) {
            if (!c.peer().seed()) {
                return false;
            }
        }
        Instant now = clock.instant();
        List<PeerConnection> fetching = peers.fetching(f.piece).stream()
                .filter(c -> !notWaitedFor(PeerDirectory.key(c.peer()), now)).toList();
        if (fetching.isEmpty()) {
            return false;
        }
        if (f.coalesceUntil == null) {
            f.coalesceUntil = now.plus(wait);
        }
        if (!now.isBefore(f.coalesceUntil)) {
            // waited in vain: a peer that advertises what it does not deliver is not waited for for a while
            Instant until = now.plus(settings.snubDuration());
            f.waitedFor.forEach(k -> notWaitedForUntil.put(k, until));
            if (!f.expired) {
                f.expired = true;
                expiredCounter.increment();
            }
            return false;
        }
        fetching.forEach(c -> f.waitedFor.add(PeerDirectory.key(c.peer())));
        boolean relay = false;
        for (PeerConnection c : fetching) {
            relay |= Arrays.compareUnsigned(c.remotePeerId(), ourPeerId) < 0;
        }
        if (relay && !f.relaying) {
            f.relaying = served.fetchStarted(f.piece);
        } else if (!relay && f.relaying) {
            f.relaying = false;
            served.fetchEnded(f.piece);
        }
        return true;
    }

    /**
     * A connection of the fetch's class (urgent or not) that has the piece, has unchoked us and has room
     * in its request budget for the piece: peers not snubbed first, then those asked least for this piece,
     * then other agents before seeds, then the least busy. A snubbed peer is asked only when no other peer
     * has the piece. While connections that have the piece are all full, the fetch waits for room. A
     * prefetch uses a seed only while a seed prefetch slot is free. A demand fetch that only seeds could serve
     * waits a while for a connected agent that is fetching the piece ({@link #waitsForAFetchingAgent}). A demand
     * fetch waits until its deadline
     * (asking the tracker again every connect and unchoke timeout); a prefetch gives up after three piece
     * timeouts without a connection, and asks the tracker again.
     */
    private Choice connectionFor(Fetch f, Map<String, SourceLog> sources, PieceAssembly assembly, boolean whole)
            throws IOException, InterruptedException {
        Instant start = clock.instant();
        Instant lastAnnounce = start;
        boolean queued = false;
        boolean waiting = false;
        try {
            while (true) {
                if (closed) {
                    throw new NoSourceException("swarm closed");
                }
                boolean urgent = f.urgent;
                peers.ensureConnectionsFromFetch(urgent); // every source known, so that demand can spread over them
                List<PeerConnection> ready = peers.ready(urgent, f.piece);
                // read once: a connection's load changes while we sort
                Map<PeerConnection, Boolean> snubbed = new HashMap<>();
                Map<PeerConnection, Boolean> silent = new HashMap<>();
                Map<PeerConnection, Integer> load = new HashMap<>();
                for (PeerConnection c : ready) {
                    snubbed.put(c, peers.isSnubbed(c.peer()));
                    silent.put(c, silent(c));
                    load.put(c, c.outstandingBlocks() + c.queuedBlocks());
                }
                boolean anyBrisk = snubbed.containsValue(false);
                ready.sort(Comparator.comparing((PeerConnection c) -> snubbed.get(c))
                        .thenComparing(silent::get)
                        .thenComparingInt(c -> attempts(sources, c))
                        .thenComparing(c -> c.peer().seed())
                        .thenComparingInt(load::get));
                SeedReferrals referred = referrals;
                boolean waits = urgent && (waitsForAFetchingAgent(f, ready)
                        || (referred != null && referred.waits(f.piece, ready)));
                if (waits != waiting) {
                    waiting = waits;
                    coalescing.addAndGet(waits ? 1 : -1);
                    if (!waits) {
                        // the agent waited for may have ended its fetch with a have that came after ready was
                        // read: read it again, or the seed alone looks ready and is asked for a second copy
                        continue;
                    }
                }
                if (waits) {
                    signal.await(RECHECK);
                    continue;
                }
                int[] missing = assembly.missing();
                int blocks = missing.length;
                if (urgent && !whole) {
                    List<Part> split = split(assembly, missing, ready, snubbed);
                    if (!split.isEmpty()) {
                        return new Choice(split, false);
                    }
                }
                boolean agentHasIt = !urgent && peers.holders(f.piece) > 0;
                boolean full = false;
                for (PeerConnection c : ready) {
                    if (anyBrisk && snubbed.get(c)) {
                        break; // sorted last: a slow peer only when no other has the piece
                    }
                    if (!c.hasRoomFor(blocks)) {
                        full |= !c.isChoked(); // a choke that came since we looked is no lack of room
                        continue;
                    }
                    boolean seedSlot = !urgent && c.peer().seed();
                    // a prefetch leaves the seed alone while another agent holds the piece, even one that
                    // chokes us now: its upload slots rotate, the seed's upload is the swarm's bottleneck
                    if (seedSlot && (agentHasIt || !maySeedPrefetch(f) || !seedPrefetch.tryAcquire())) {
                        continue;
                    }
                    CompletableFuture<byte[]> request = c.requestBlocksIfRoom(assembly, missing);
                    if (request != null) {
                        return new Choice(List.of(new Part(c, request)), seedSlot);
                    }
                    full |= !c.isChoked(); // another fetch took the room since we looked, or the peer choked us
                    if (seedSlot) {
                        seedPrefetch.release();
                        signal.signal();
                    }
                }
                if (full && !queued) {
                    queued = true;
                    queuedForBudget.incrementAndGet();
                }
                Instant now = clock.instant();
                if (urgent) {
                    if (!now.isBefore(f.deadline)) {
                        throw new NoSourceException(noSource(f, full));
                    }
                    if (!full && MonotonicClock.nanosBetween(lastAnnounce, now)
                            > settings.connectTimeout().plus(settings.unchokeTimeout()).toNanos()) {
                        peers.announceSoon();
                        lastAnnounce = now;
                    }
                } else if (!full && MonotonicClock.nanosBetween(start, now)
                        > settings.pieceTimeout().multipliedBy(3).toNanos()) {
                    peers.announceSoon();
                    throw new NoSourceException(noSource(f, full));
                }
                signal.await(RECHECK);
            }
        } finally {
            if (queued) {
                queuedForBudget.decrementAndGet();
            }
            if (waiting) {
                coalescing.decrementAndGet();
            }
        }
    }

    /**
     * Splits the {@code missing} blocks of a demand fetch into runs over up to {@code splitSources} of the
     * {@code ready} connections (sorted as {@link #connectionFor} sorts them) that are not snubbed and have room
     * for a run: agents only (a seed's upload is the swarm's bottleneck; two seed replicas already share the demand
     * piece by piece, the least busy first). Empty when fewer than two qualify; a run no connection took room for is
     * asked for when another run is done ({@link #assemble}).
     */
    private List<Part> split(PieceAssembly assembly, int[] missing, List<PeerConnection> ready,
                             Map<PeerConnection, Boolean> snubbed) {
        int n = Math.min(settings.splitSources(), missing.length);
        if (n < 2) {
            return List.of();
        }
        int share = (missing.length + n - 1) / n;
        List<PeerConnection> pool = ready.stream()
                .filter(c -> !snubbed.get(c) && !c.peer().seed() && c.hasRoomFor(share))
                .limit(n).toList();
        if (pool.size() < 2) {
            return List.of();
        }
        List<Part> parts = new ArrayList<>(pool.size());
        for (int i = 0; i < pool.size(); i++) {
            int[] run = Arrays.copyOfRange(missing, missing.length * i / pool.size(),
                    missing.length * (i + 1) / pool.size());
            CompletableFuture<byte[]> request = pool.get(i).requestBlocksIfRoom(assembly, run);
            if (request != null) {
                parts.add(new Part(pool.get(i), request));
            }
        }
        return parts;
    }

    private String noSource(Fetch f, boolean full) {
        return (full ? "every connection with piece " + f.piece + " was full" : "no connected peer has piece " + f.piece) + " of " + manifest.name() + " (known peers: "
                + peers.knownPeers() + ", banned: " + peers.banned() + ")";
    }

    private static int attempts(Map<String, SourceLog> sources, PeerConnection c) {
        SourceLog s = sources.get(PeerDirectory.key(c.peer()));
        return s == null ? 0 : s.attempts;
    }

    /** Whether a prefetch may use the seed: an owned piece, or one no agent got within a piece timeout. */
    private boolean maySeedPrefetch(Fetch f) {
        return !settings.seedPartition() || peers.partition().owns(f.piece)
                || MonotonicClock.nanosBetween(f.created, clock.instant()) > settings.pieceTimeout().toNanos();
    }

    // ---- figures -------------------------------------------------------------------------------

    long bytesFetched() {
        return bytesFetched.get();
    }

    long piecesFetched() {
        return piecesFetched.get();
    }

    long piecesFromSeed() {
        return piecesFromSeed.get();
    }

    long verificationFailures() {
        return verificationFailures.get();
    }

    long escalations() {
        return escalations.get();
    }

    /** Pieces fetched per peer ({@code host:port}), sorted. */
    Map<String, Long> piecesByPeer() {
        Map<String, Long> byPeer = new TreeMap<>();
        piecesByPeer.forEach((k, v) -> byPeer.put(k, v.get()));
        return byPeer;
    }

    /** Lets the fetches under way give up after their current attempt. */
    @Override
    public void close() {
        closed = true;
        signal.signal();
    }
}
