package io.bootswarm.agent.swarm;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.DontHave;
import io.bootswarm.common.wire.Fetching;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.wire.PieceUnavailableException;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.WireLimits;
import io.bootswarm.common.wire.WireProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Our side of one peer wire connection (BEP 3) used for downloading: handshake, the peer's
 * bitfield and have messages, interested/unchoke, and requests for a piece's blocks (all of them, or a
 * subset: see {@link PieceAssembly}) sent as pipelined 16 KiB block requests. A reader thread (virtual) files
 * incoming blocks into the piece they belong to; a request completes when each of its blocks arrived, here or
 * on another connection asked for the same piece (a block received twice counts once; a request for a block
 * that came elsewhere is cancelled).
 * Any protocol violation, and anything else that goes wrong in the reader, closes the connection
 * and fails what was outstanding on it.
 *
 * <p>Block requests are a budget: at most {@link #budget()} are outstanding at once, the peer's BEP 10
 * {@code reqq} ({@value #DEFAULT_REQQ} until and unless it names one), never more than our own cap.
 * Blocks of a piece that do not fit wait here and are sent as earlier blocks arrive;
 * {@link #hasRoomFor} tells a fetcher whether a piece would be sent at once.
 *
 * <p>BEP 3: a {@code choke} discards the requests outstanding (they fail here), and a peer that chokes us drops the
 * requests it gets meanwhile (BEP 6: rejects them; a reject while choked is ignored here). So a choked connection
 * has no room: a request made after the choke arrived, by a fetch that chose the connection a moment before, is
 * not sent (it would wait a piece timeout for a block that never comes).
 *
 * <p>A peer may stop holding a piece it announced (its host's cache evicted it). Our extended handshake asks
 * for BEP 54 {@code lt_donthave} (under {@value #DONTHAVE_ID}) and our handshake sets the BEP 6 fast extension
 * bit: an {@code lt_donthave} clears the piece from what the peer has, and so does a {@code reject request}
 * for a block we are waiting for while the peer has us unchoked. Either fails the request with
 * {@link PieceUnavailableException}, which the fetcher takes as "ask another source", no failure of the peer's;
 * the connection stays open. A reject for a request we no longer wait for (withdrawn, failed by a choke, or a
 * block cancelled here because it came on another connection) is ignored, and so is one that answers a cancel of
 * ours (BEP 6 answers each cancel with the block or a reject) though we asked for the block again since. BEP 6 {@code have all} and {@code have none} stand for a bitfield.
 *
 * <p>Our extended handshake also asks for {@code bs_fetching} (under {@value #FETCHING_ID}): the pieces the peer is
 * fetching now ({@link #isFetching}), until it says it stopped or sends {@code have} for the piece; each piece
 * it starts fetching is told to a {@link FetchingListener} on the reader thread. A malformed one closes the
 * connection.
 */
final class PeerConnection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerConnection.class);
    /** The request budget of a peer that names no {@code reqq} (libtorrent's default). */
    static final int DEFAULT_REQQ = 250;
    /** The extended message id under which we receive BEP 54 {@code lt_donthave}. */
    static final int DONTHAVE_ID = 1;
    /** The extended message id under which we receive {@code bs_fetching}. */
    static final int FETCHING_ID = 2;
    /** The extended message id under which we receive {@code bs_referral} (asked for only with a listener). */
    static final int REFERRAL_ID = 3;

    private final Peer peer;
    private final Socket socket;
    private final PeerWireWriter writer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final PieceSet has;
    /** The pieces the peer said it is fetching now ({@code bs_fetching}). */
    private final PieceSet fetching;
    private final AtomicLong fetchingMessages = new AtomicLong();
    private final int pieceCount;
    private final Map<Integer, PendingPiece> pending = new ConcurrentHashMap<>();
    private volatile boolean choked = true;
    private volatile boolean closed;
    private final InstantSource clock;
    private volatile Instant lastWrite;
    private final Runnable onChange;
    private final boolean urgent;
    private final RateLimiter download;
    private final int maxRequests;
    private volatile int budget;
    /** Guards {@link #outstandingBlocks}, {@link #queue} and the pieces' {@code sent} counts; never held over I/O. */
    private final Object budgetLock = new Object();
    private int outstandingBlocks;
    private final ArrayDeque<PendingPiece> queue = new ArrayDeque<>();
    private volatile Instant lastBlock;
    /**
     * Since when requests sent here have gone without a block (guarded by the budget lock): set by the first request
     * sent after a block (or ever), moved to each block that leaves requests outstanding, null after a block that
     * leaves none. Withdrawing every request does not clear it: the peer stays silent until it sends.
     */
    private Instant unansweredSince;
    /** When the last outstanding request was withdrawn while unanswered; null while requests are outstanding. */
    private Instant gaveUpAt;
    private final AtomicLong piecesDelivered = new AtomicLong();
    /** Both sides set the BEP 6 fast extension bit. */
    private final boolean fast;
    /** The peer id the peer's handshake named. */
    private final byte[] remotePeerId;
    private final FetchingListener onFetching;
    /** Told of {@code bs_referral}s; null when we did not ask for them. */
    private volatile ReferralListener onReferral;
    /** Pieces a {@code bs_referral} named: their reject withdraws the request but keeps the piece among the peer's. */
    private final java.util.Set<Integer> referredNow = ConcurrentHashMap.newKeySet();
    /**
     * With the fast extension: block (piece and offset, {@link #blockKey}) → our cancels of it that the peer has not
     * answered yet. BEP 6 answers each cancel with the block or a reject; the peer wire server sends that reject only
     * when its writer is free, which may be after we asked for the block again (a request moved off a slow peer that is
     * the only source). Such a reject answers the cancel, not the new request. Cleared by a choke (after it, the peer
     * answers no cancel).
     */
    private final Map<Long, Integer> unansweredCancels = new ConcurrentHashMap<>();

    /** Told, on the connection's reader thread, of each piece the peer says it started fetching. */
    @FunctionalInterface
    interface FetchingListener {
        FetchingListener NONE = (c, piece) -> {
        };

        void started(PeerConnection from, int piece);
    }

    /** Told, on the connection's reader thread, of each {@code bs_referral} the peer sends ({@link SeedReferrals}). */
    @FunctionalInterface
    interface ReferralListener {
        void referred(PeerConnection from, io.bootswarm.common.wire.Referral.Holders holders);
    }

    /**
     * Our request on this connection for some blocks of a piece ({@code order}), filed into a {@link PieceAssembly}
     * that other connections may fill too. It is done when each of its blocks arrived here or elsewhere.
     */
    static final class PendingPiece {
        final int piece;
        final PieceAssembly assembly;
        /** The blocks asked of this connection, in the order they are requested. */
        final int[] order;
        private final BitSet wanted;
        /** Position in {@link #order} of the next block to request (guarded by the connection's budget lock). */
        int sent;
        /** Blocks requested from the peer (guarded by the budget lock). */
        final BitSet requested;
        /** Blocks that arrived, here or on another connection (guarded by the budget lock). */
        final BitSet settled;
        int settledCount;
        /** Blocks that arrived here (guarded by the budget lock). */
        int receivedHere;
        /** When the request went out or a block of it last arrived. */
        volatile Instant progress;
        /** Completes when every block of {@link #order} arrived (with the piece's bytes if the assembly is complete). */
        final CompletableFuture<byte[]> done = new CompletableFuture<>();

        PendingPiece(PieceAssembly assembly, int[] order, Instant now) {
            this.piece = assembly.piece;
            this.assembly = assembly;
            this.order = order.clone();
            this.wanted = new BitSet(assembly.blocks);
            for (int i : order) {
                wanted.set(i);
            }
            this.requested = new BitSet(assembly.blocks);
            this.settled = new BitSet(assembly.blocks);
            this.progress = now;
        }

        int blockLength(int index) {
            return assembly.blockLength(index);
        }
    }

    /**
     * A request withdrawn from this connection because its peer was snubbed (another request on it timed out):
     * the blocks not received are to be asked of another connection; no failure of the fetch's.
     */
    static final class RequestMovedException extends IOException {
        RequestMovedException(String message) {
            super(message);
        }
    }

    /** A piece the peer left without a block for a piece timeout: the peer is slow for us (snubbed). */
    static final class PieceTimeoutException extends IOException {
        PieceTimeoutException(String message) {
            super(message);
        }
    }

    private PeerConnection(Peer peer, Socket socket, PeerWireWriter writer, int pieceCount, Runnable onChange,
                           boolean urgent, RateLimiter download, int maxRequests, boolean fast, InstantSource clock,
                           byte[] remotePeerId, FetchingListener onFetching) {
        this.peer = peer;
        this.remotePeerId = remotePeerId.clone();
        this.onFetching = onFetching;
        this.fast = fast;
        this.clock = clock;
        this.lastWrite = clock.instant();
        this.lastBlock = lastWrite;
        this.maxRequests = maxRequests;
        this.budget = budget(null, maxRequests);
        this.onChange = onChange;
        this.urgent = urgent;
        this.download = download;
        this.socket = socket;
        this.writer = writer;
        this.pieceCount = pieceCount;
        this.has = new PieceSet(pieceCount);
        this.fetching = new PieceSet(pieceCount);
    }

    /**
     * Connects and handshakes; the reader thread starts at once.
     *
     * @param onChange run whenever the peer's pieces or choke state change, or the connection closes
     * @param urgent   a connection for demand fetches: it says so in its BEP 10 extended handshake, so that
     *                 our agents serve it before other connections, and it goes first at our download limiter
     * @param download the host's download rate limiter
     * @param token    our peer access token for {@code swarm} (from the last announce), sent in our BEP 10
     *                 extended handshake as {@value PeerAccess#TOKEN_KEY}; null for none (the peer then
     *                 refuses us unless it serves everyone)
     * @param maxRequests our cap on outstanding block requests, whatever the peer's {@code reqq}; sent as our
     *                 own {@code reqq}
     * @param clock    what keep-alives and piece timeouts are measured on
     *
     * @throws WireProtocolException if the peer answers for another swarm
     */
    static PeerConnection open(Peer peer, SwarmId swarm, byte[] ourPeerId, int listenPort, int pieceCount,
                               Duration timeout, Runnable onChange, boolean urgent, RateLimiter download,
                               byte[] token, int maxRequests, InstantSource clock) throws IOException {
        return open(peer, swarm, ourPeerId, listenPort, pieceCount, timeout, onChange, urgent, download, token,
                maxRequests, clock, FetchingListener.NONE);
    }

    /**
     * {@link #open(Peer, SwarmId, byte[], int, int, Duration, Runnable, boolean, RateLimiter, byte[], int,
     * InstantSource) Connects and handshakes}, telling {@code onFetching} of each piece the peer says it started
     * fetching.
     */
    static PeerConnection open(Peer peer, SwarmId swarm, byte[] ourPeerId, int listenPort, int pieceCount,
                               Duration timeout, Runnable onChange, boolean urgent, RateLimiter download,
                               byte[] token, int maxRequests, InstantSource clock, FetchingListener onFetching)
            throws IOException {
        return open(peer, swarm, ourPeerId, listenPort, pieceCount, timeout, onChange, urgent, download, token,
                maxRequests, clock, onFetching, null);
    }

    /**
     * {@link #open(Peer, SwarmId, byte[], int, int, Duration, Runnable, boolean, RateLimiter, byte[], int,
     * InstantSource, FetchingListener) Connects and handshakes}, asking for {@code bs_referral} and telling
     * {@code onReferral} of each one when it is not null.
     */
    static PeerConnection open(Peer peer, SwarmId swarm, byte[] ourPeerId, int listenPort, int pieceCount,
                               Duration timeout, Runnable onChange, boolean urgent, RateLimiter download,
                               byte[] token, int maxRequests, InstantSource clock, FetchingListener onFetching,
                               ReferralListener onReferral) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(peer.host(), peer.port()), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            PeerWireWriter w = new PeerWireWriter(s.getOutputStream());
            w.writeHandshake(new Handshake(Handshake.ourReservedWithFast(), swarm, ourPeerId));
            w.flush();
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            Handshake theirs = PeerWireReader.readHandshake(in);
            if (!theirs.swarmId().equals(swarm)) {
                throw new WireProtocolException("peer answered for swarm " + theirs.swarmId() + ", not " + swarm);
            }
            if (theirs.supportsExtensions()) {
                // BEP 10: both sides set the extension bit, so we may send our extended handshake
                // "p" (our listen port, BEP 10) lets the peer connect back and download from us too
                Map<String, Object> ours = new HashMap<>(Map.of("m", Map.of(DontHave.NAME, (long) DONTHAVE_ID,
                                Fetching.NAME, (long) FETCHING_ID),
                        "v", "bootswarm/0.1",
                        "p", (long) listenPort, "reqq", (long) maxRequests));
                if (urgent) {
                    ours.put("urgent", 1L);
                }
                if (onReferral != null) {
                    ours.put("m", Map.of(DontHave.NAME, (long) DONTHAVE_ID, Fetching.NAME, (long) FETCHING_ID,
                            io.bootswarm.common.wire.Referral.NAME, (long) REFERRAL_ID));
                }
                if (token != null) {
                    ours.put(PeerAccess.TOKEN_KEY, token);
                }
                w.write(new PeerMessage.Extended(0, Bencode.encode(ours)));
                w.flush();
            }
            s.setSoTimeout(0);
            PeerConnection c = new PeerConnection(peer, s, w, pieceCount, onChange, urgent, download,
                    maxRequests, theirs.supportsFast(), clock, theirs.peerId(), onFetching);
            c.onReferral = onReferral;
            Thread.ofVirtual().name("peer-" + peer).start(() -> c.readLoop(in));
            c.send(PeerMessage.INTERESTED);
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    boolean isUrgent() {
        return urgent;
    }

    Peer peer() {
        return peer;
    }

    boolean isOpen() {
        return !closed;
    }

    boolean isChoked() {
        return choked;
    }

    boolean has(int piece) {
        return has.contains(piece);
    }

    /** Whether the peer told us it is fetching {@code piece} now ({@code bs_fetching}) and has not got it yet. */
    boolean isFetching(int piece) {
        return fetching.contains(piece) && !has.contains(piece);
    }

    /** The peer id the peer's handshake named. */
    byte[] remotePeerId() {
        return remotePeerId.clone();
    }

    /**
     * Blocks of our request for {@code piece} received so far; -1 if no request for it is outstanding here.
     */
    int receivedBlocks(int piece) {
        PendingPiece p = pending.get(piece);
        if (p == null) {
            return -1;
        }
        synchronized (budgetLock) {
            return p.receivedHere;
        }
    }

    /** {@code bs_fetching} messages received on this connection. */
    long fetchingMessages() {
        return fetchingMessages.get();
    }

    /** Whether the peer advertises every piece (a seed, or an agent with the whole image). */
    boolean hasEverything() {
        return has.isComplete();
    }

    /** Whether both sides set the BEP 6 fast extension bit. */
    boolean isFast() {
        return fast;
    }

    int outstandingPieces() {
        return pending.size();
    }

    /**
     * The block request budget for a peer that advertised {@code reqq} (null: none): {@value #DEFAULT_REQQ}
     * by default, at least 1, at most {@code cap}.
     */
    static int budget(Long reqq, int cap) {
        long wanted = reqq == null || reqq <= 0 ? DEFAULT_REQQ : reqq;
        return (int) Math.max(1, Math.min(wanted, cap));
    }

    /** Block requests we may have outstanding on this connection at once. */
    int budget() {
        return budget;
    }

    /** Block requests sent and not answered yet. */
    int outstandingBlocks() {
        synchronized (budgetLock) {
            return outstandingBlocks;
        }
    }

    /** Block requests waiting here for room in the budget. */
    int queuedBlocks() {
        synchronized (budgetLock) {
            int n = 0;
            for (PendingPiece p : queue) {
                n += p.order.length - p.sent;
            }
            return n;
        }
    }

    /**
     * Whether a request for a piece of {@code blocks} blocks would go out at once, within the budget; always
     * true on an idle connection (a piece larger than the budget is then sent as blocks come back) unless the peer
     * chokes us.
     */
    boolean hasRoomFor(int blocks) {
        synchronized (budgetLock) {
            return roomFor(blocks);
        }
    }

    /** Guarded by the budget lock. */
    private boolean roomFor(int blocks) {
        return !choked && queue.isEmpty() && (outstandingBlocks == 0 || outstandingBlocks + blocks <= budget);
    }

    /**
     * Requests {@code blocks} of {@code assembly}'s piece if the budget has room for them now ({@link #hasRoomFor}),
     * checked and queued in one step, so that fetches choosing connections at once cannot both take the same room
     * (the later one would wait in this connection's queue while another had room); else null. The blocks that arrive are filed into the assembly; the future
     * completes when each of them arrived (here or on another connection asked for it: the request for it here is
     * then cancelled), and fails if the peer chokes us, breaks the protocol or the connection closes. At most one
     * request per piece is outstanding on a connection.
     */
    CompletableFuture<byte[]> requestBlocksIfRoom(PieceAssembly assembly, int[] blocks) {
        PendingPiece p = new PendingPiece(assembly, blocks, clock.instant());
        assembly.register(this, p);
        synchronized (budgetLock) {
            if (!roomFor(blocks.length)) {
                assembly.unregister(p);
                return null;
            }
            if (!enqueue(p)) {
                assembly.unregister(p);
                return p.done;
            }
            for (int i : blocks) {
                if (assembly.isReceived(i) && !p.settled.get(i)) {
                    p.settled.set(i);
                    p.settledCount++;
                }
            }
        }
        pump();
        if (settledAll(p)) {
            finish(p);
        }
        return p.done;
    }

    private boolean settledAll(PendingPiece p) {
        synchronized (budgetLock) {
            return p.settledCount == p.order.length;
        }
    }

    /** Completes {@code p} (every block of it arrived somewhere) unless it was withdrawn meanwhile. */
    private void finish(PendingPiece p) {
        if (pending.remove(p.piece, p)) {
            p.assembly.unregister(p);
            boolean whole;
            synchronized (budgetLock) {
                whole = p.receivedHere == p.assembly.blocks;
            }
            if (whole) {
                piecesDelivered.incrementAndGet();
            }
            p.done.complete(p.assembly.done.getNow(null));
        }
    }

    /**
     * Block {@code index} of {@code p}'s piece arrived on another connection: it no longer counts as outstanding
     * here, and a request for it sent here is cancelled.
     */
    void settledElsewhere(PendingPiece p, int index) {
        boolean cancel;
        boolean complete;
        synchronized (budgetLock) {
            if (pending.get(p.piece) != p || !p.wanted.get(index) || p.settled.get(index)) {
                return;
            }
            p.settled.set(index);
            complete = ++p.settledCount == p.order.length;
            cancel = p.requested.get(index);
            if (cancel) {
                outstandingBlocks--;
                noteWithdrawn();
            }
        }
        if (cancel) {
            PeerMessage.Cancel c = new PeerMessage.Cancel(p.piece, index * WireLimits.BLOCK_LENGTH, p.blockLength(index));
            cancelling(List.of(c));
            writeLock.lock();
            try {
                writer.write(c);
                writer.flush();
                lastWrite = clock.instant();
            } catch (IOException e) {
                closeWith(e);
                return;
            } finally {
                writeLock.unlock();
            }
        }
        if (complete) {
            finish(p);
        }
        pump();
    }

    /**
     * When the request for {@code piece} here stalls: {@code pieceTimeout} after the later of its last progress
     * (sent, or a block of it arrived) and the last block this connection received; null if no request for the
     * piece is outstanding here.
     */
    Instant stallsAt(int piece, Duration pieceTimeout) {
        PendingPiece p = pending.get(piece);
        if (p == null) {
            return null;
        }
        Instant last = lastBlock.isAfter(p.progress) ? lastBlock : p.progress;
        return last.plus(pieceTimeout);
    }

    /**
     * Whether this connection left requests of ours without a block for {@code quiet} or longer: the time it was
     * owed a block and sent none, counted while requests were outstanding (one withdrawn or cancelled before the
     * peer could answer stops the count), until its next block. A busy peer that still sends blocks is not silent.
     */
    boolean silentFor(Duration quiet) {
        synchronized (budgetLock) {
            if (unansweredSince == null) {
                return false;
            }
            Instant end = gaveUpAt != null ? gaveUpAt : clock.instant();
            return !end.isBefore(unansweredSince.plus(quiet));
        }
    }

    /**
     * A request is being sent (guarded by the budget lock): the count of time owed a block starts, or goes on from
     * where it stopped when the last requests were withdrawn (the time between, with nothing asked, not counted).
     */
    private void noteRequested() {
        Instant now = clock.instant();
        if (unansweredSince == null) {
            unansweredSince = now;
        } else if (gaveUpAt != null) {
            unansweredSince = now.minus(Duration.between(unansweredSince, gaveUpAt));
            gaveUpAt = null;
        }
    }

    /** After requests were withdrawn or cancelled (guarded by the budget lock): notes when none is left. */
    private void noteWithdrawn() {
        if (outstandingBlocks == 0 && unansweredSince != null && gaveUpAt == null) {
            gaveUpAt = clock.instant();
        }
    }

    /**
     * The request for {@code piece} timed out: it is withdrawn with {@link PieceTimeoutException}, and every other
     * request on this connection with {@link RequestMovedException} (the peer is snubbed: what they wait for is to
     * be asked of another connection), in one step; {@code snub} runs between the two, so that a fetch moved sees
     * the peer snubbed. False if the request for {@code piece} was no longer outstanding (another request's timeout
     * moved it first).
     */
    synchronized boolean timedOut(int piece, String message, Runnable snub) {
        PendingPiece own = pending.get(piece);
        if (own == null) {
            return false;
        }
        withdraw(piece, new PieceTimeoutException(message));
        snub.run();
        moveAll();
        return true;
    }

    /**
     * Withdraws every request on this connection with {@link RequestMovedException}: its peer was snubbed.
     * Returns how many were withdrawn.
     */
    synchronized int moveAll() {
        int n = 0;
        for (Integer piece : List.copyOf(pending.keySet())) {
            if (withdraw(piece, new RequestMovedException("request for piece " + piece + " moved from " + peer
                    + ", which is slow to answer"))) {
                n++;
            }
        }
        return n;
    }

    /** Pieces this connection delivered whole. */
    long piecesDelivered() {
        return piecesDelivered.get();
    }

    /**
     * Requests all blocks of {@code piece}, as many at once as the budget has room for and the rest as
     * blocks come back; the future completes with its (unverified) bytes, or fails if the peer chokes us,
     * breaks the protocol or the connection closes.
     */
    CompletableFuture<byte[]> requestPiece(int piece, int length) {
        PieceAssembly a = new PieceAssembly(piece, length);
        PendingPiece p = new PendingPiece(a, a.missing(), clock.instant());
        a.register(this, p);
        synchronized (budgetLock) {
            if (!enqueue(p)) {
                a.unregister(p);
                return p.done;
            }
        }
        pump();
        return p.done;
    }

    /**
     * Registers and queues {@code p}; false (with {@code p} failed) if its piece is pending, the connection closed or
     * the peer chokes us (guarded by the budget lock, as the choke is: a request is either failed by the choke or
     * never sent).
     */
    private boolean enqueue(PendingPiece p) {
        if (pending.putIfAbsent(p.piece, p) != null) {
            p.done.completeExceptionally(new IllegalStateException("piece " + p.piece + " already requested"));
            return false;
        }
        if (closed || choked) {
            pending.remove(p.piece, p);
            p.done.completeExceptionally(new IOException(closed ? "connection to " + peer + " closed"
                    : "choked by " + peer));
            return false;
        }
        queue.add(p);
        return true;
    }

    /** Sends the queued block requests the budget has room for. */
    private void pump() {
        writeLock.lock();
        try {
            List<PeerMessage.Request> out = new ArrayList<>();
            synchronized (budgetLock) {
                while (outstandingBlocks < budget && !queue.isEmpty()) {
                    PendingPiece p = queue.peek();
                    if (pending.get(p.piece) != p) {
                        queue.poll(); // cancelled or failed while it waited
                        continue;
                    }
                    while (p.sent < p.order.length && p.settled.get(p.order[p.sent])) {
                        p.sent++; // arrived on another connection before it was asked here
                    }
                    if (p.sent == p.order.length) {
                        queue.poll();
                        continue;
                    }
                    int index = p.order[p.sent];
                    out.add(new PeerMessage.Request(p.piece, index * WireLimits.BLOCK_LENGTH, p.blockLength(index)));
                    noteRequested();
                    if (p.requested.isEmpty()) {
                        p.progress = clock.instant();
                    }
                    p.requested.set(index);
                    p.sent++;
                    outstandingBlocks++;
                    if (p.sent == p.order.length) {
                        queue.poll();
                    }
                }
            }
            if (out.isEmpty()) {
                return;
            }
            for (PeerMessage.Request r : out) {
                writer.write(r);
            }
            writer.flush();
            lastWrite = clock.instant();
        } catch (IOException e) {
            closeWith(e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Forgets {@code p}'s requests that were sent and not answered; returns them. */
    private List<PeerMessage.Cancel> release(PendingPiece p) {
        List<PeerMessage.Cancel> cancels = new ArrayList<>();
        synchronized (budgetLock) {
            queue.remove(p);
            for (int i = p.requested.nextSetBit(0); i >= 0; i = p.requested.nextSetBit(i + 1)) {
                if (!p.settled.get(i)) {
                    cancels.add(new PeerMessage.Cancel(p.piece, i * WireLimits.BLOCK_LENGTH, p.blockLength(i)));
                }
            }
            outstandingBlocks -= cancels.size();
            noteWithdrawn();
        }
        p.assembly.unregister(p);
        return cancels;
    }

    /** Withdraws a piece request (e.g. after a timeout). */
    void cancel(int piece) {
        withdraw(piece, new IOException("request for piece " + piece + " cancelled"));
    }

    /** Withdraws a piece request, failing it with {@code cause}; false if it was not outstanding. */
    private boolean withdraw(int piece, IOException cause) {
        PendingPiece p = pending.remove(piece);
        if (p == null) {
            return false;
        }
        List<PeerMessage.Cancel> cancels = release(p);
        p.done.completeExceptionally(cause);
        cancelling(cancels);
        writeLock.lock();
        try {
            for (PeerMessage.Cancel c : cancels) {
                writer.write(c);
            }
            writer.flush();
        } catch (IOException e) {
            closeWith(e);
            return true;
        } finally {
            writeLock.unlock();
        }
        pump();
        return true;
    }

    private static long blockKey(int piece, int begin) {
        return (long) piece << 32 | (begin & 0xffffffffL);
    }

    /** Notes {@code cancels}, about to be sent, as unanswered: the peer answers each (BEP 6). */
    private void cancelling(List<PeerMessage.Cancel> cancels) {
        if (fast) {
            for (PeerMessage.Cancel c : cancels) {
                unansweredCancels.merge(blockKey(c.piece(), c.begin()), 1, Integer::sum);
            }
        }
    }

    /** Whether a block or reject for {@code piece} at {@code begin} answers a cancel of ours; that cancel is settled. */
    private boolean answersCancel(int piece, int begin) {
        if (unansweredCancels.isEmpty()) {
            return false;
        }
        boolean[] answered = new boolean[1];
        unansweredCancels.computeIfPresent(blockKey(piece, begin), (k, n) -> {
            answered[0] = true;
            return n == 1 ? null : n - 1;
        });
        return answered[0];
    }

    /**
     * Whether {@code r} rejects a block we still wait for here: asked of this peer and not arrived anywhere. A reject
     * for a block we cancelled because it came on another connection is the peer's answer to that cancel (BEP 6),
     * not a sign that it lost the piece, though the rest of the piece is still asked of it.
     */
    private boolean awaited(PeerMessage.RejectRequest r) {
        PendingPiece p = pending.get(r.piece());
        if (p == null || r.begin() < 0 || r.begin() % WireLimits.BLOCK_LENGTH != 0) {
            return false;
        }
        int index = r.begin() / WireLimits.BLOCK_LENGTH;
        synchronized (budgetLock) {
            return p.requested.get(index) && !p.settled.get(index);
        }
    }

    /**
     * The peer no longer has {@code piece} ({@code lt_donthave}, or a reject while it has us unchoked): it is
     * cleared from what the peer has, and a request for it fails with {@link PieceUnavailableException}.
     */
    private void unavailable(int piece, String why) {
        has.remove(piece);
        withdraw(piece, new PieceUnavailableException("piece " + piece + " " + why + " by " + peer));
        onChange.run();
    }

    /** Sends a keep-alive if nothing was written for {@code idle}. */
    void keepAlive(Duration idle) {
        if (MonotonicClock.nanosBetween(lastWrite, clock.instant()) > idle.toNanos()) {
            send(PeerMessage.KEEP_ALIVE);
        }
    }

    private void send(PeerMessage m) {
        try {
            writeLock.lock();
            try {
                writer.write(m);
                writer.flush();
                lastWrite = clock.instant();
            } finally {
                writeLock.unlock();
            }
        } catch (IOException e) {
            close();
        }
    }

    private void readLoop(InputStream in) {
        PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(pieceCount));
        try {
            while (!closed) {
                switch (reader.read()) {
                    case PeerMessage.Bitfield b -> {
                        PieceSet.fromBitfield(b.bits(), pieceCount).forEach(has::add);
                        onChange.run();
                    }
                    case PeerMessage.Have h -> {
                        has.add(h.piece());
                        fetching.remove(h.piece());
                        onChange.run();
                    }
                    case PeerMessage.Unchoke u -> setChoked(false);
                    case PeerMessage.Choke c -> {
                        synchronized (budgetLock) {
                            choked = true; // from here a request finds no room: none is sent that the peer drops
                        }
                        unansweredCancels.clear();
                        // BEP 3: a choke discards our outstanding requests
                        failAll(new IOException("choked by " + peer));
                        onChange.run();
                    }
                    case PeerMessage.Piece p -> {
                        download.acquire(p.block().length, urgent);
                        answersCancel(p.piece(), p.begin()); // sent before our cancel reached the peer: still of use
                        block(p);
                    }
                    case PeerMessage.HaveAll a -> {
                        for (int i = 0; i < pieceCount; i++) {
                            has.add(i);
                        }
                        onChange.run();
                    }
                    case PeerMessage.RejectRequest r -> {
                        // after a choke our requests are failed already: a reject then is for one we dropped
                        if (!answersCancel(r.piece(), r.begin()) && !choked && awaited(r)) {
                            if (referredNow.remove(r.piece())) {
                                withdraw(r.piece(), new PieceUnavailableException("piece " + r.piece()
                                        + " referred to other agents by " + peer));
                            } else {
                                unavailable(r.piece(), "rejected");
                            }
                        }
                    }
                    case PeerMessage.Extended e when e.extendedId() == 0 -> extendedHandshake(e.payload());
                    case PeerMessage.Extended e when e.extendedId() == DONTHAVE_ID ->
                            unavailable(DontHave.piece(e.payload(), pieceCount), "withdrawn (lt_donthave)");
                    case PeerMessage.Extended e when e.extendedId() == REFERRAL_ID && onReferral != null -> {
                        io.bootswarm.common.wire.Referral.Holders h =
                                io.bootswarm.common.wire.Referral.holders(e.payload(), pieceCount);
                        if (peer.seed()) {
                            referredNow.add(h.piece());
                        }
                        onReferral.referred(this, h);
                    }
                    case PeerMessage.Extended e when e.extendedId() == FETCHING_ID -> {
                        List<Integer> started = new ArrayList<>();
                        for (Fetching.Change c : Fetching.changes(e.payload(), pieceCount)) {
                            if (!c.fetching()) {
                                fetching.remove(c.piece());
                            } else if (fetching.add(c.piece()) && !has.contains(c.piece())) {
                                started.add(c.piece());
                            }
                        }
                        fetchingMessages.incrementAndGet();
                        started.forEach(piece -> onFetching.started(this, piece));
                        onChange.run();
                    }
                    default -> {
                        // keep-alive, interest, have none, other extension messages: nothing to do for a downloader
                    }
                }
            }
        } catch (WireProtocolException e) {
            log.warn("closing connection to {}: protocol error: {}", peer, e.getMessage());
            closeWith(e);
        } catch (IOException e) {
            log.debug("connection to {} ended: {}", peer, e.toString());
            closeWith(e);
        } catch (InterruptedException e) {
            closeWith(new IOException("interrupted"));
        } catch (RuntimeException e) {
            log.warn("closing connection to {}: reading from it failed: {}", peer, e.toString(), e);
            closeWith(new IOException("reading from " + peer + " failed: " + e, e));
        }
    }

    /** BEP 10 extended handshake: we use the peer's {@code reqq}; one we cannot read is ignored. */
    private void extendedHandshake(byte[] payload) {
        Object decoded;
        try {
            decoded = Bencode.decode(payload);
        } catch (RuntimeException e) {
            log.debug("unreadable extended handshake from {}: {}", peer, e.toString());
            return;
        }
        if (decoded instanceof Map<?, ?> m && m.get("reqq") instanceof Long reqq) {
            budget = budget(reqq, maxRequests);
            pump();
        }
    }

    private void block(PeerMessage.Piece m) throws WireProtocolException {
        PendingPiece p = pending.get(m.piece());
        if (p == null) {
            return; // a block for a cancelled request may still arrive
        }
        int length = p.assembly.length();
        if (m.begin() < 0 || m.begin() % WireLimits.BLOCK_LENGTH != 0
                || m.begin() + m.block().length > length
                || m.block().length != Math.min(WireLimits.BLOCK_LENGTH, length - m.begin())) {
            throw new WireProtocolException("block [" + m.begin() + ", +" + m.block().length + ") does not fit piece "
                    + m.piece() + " of " + length + " bytes");
        }
        int index = m.begin() / WireLimits.BLOCK_LENGTH;
        boolean complete;
        synchronized (budgetLock) {
            if (!p.requested.get(index) || p.settled.get(index)) {
                return; // a block we did not ask for (yet), or a second copy of one, or one cancelled
            }
            p.settled.set(index);
            p.receivedHere++;
            complete = ++p.settledCount == p.order.length;
            outstandingBlocks--;
            unansweredSince = outstandingBlocks > 0 ? clock.instant() : null;
            gaveUpAt = null;
        }
        Instant now = clock.instant();
        p.progress = now;
        lastBlock = now;
        p.assembly.accept(index, m.block(), this);
        if (complete) {
            finish(p);
        }
        pump();
    }

    private void setChoked(boolean value) {
        choked = value;
        onChange.run();
    }

    private void failAll(IOException cause) {
        for (Integer piece : pending.keySet()) {
            PendingPiece p = pending.remove(piece);
            if (p != null) {
                release(p);
                p.done.completeExceptionally(cause);
            }
        }
    }

    private void closeWith(IOException cause) {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        failAll(cause);
        try {
            onChange.run();
        } catch (RuntimeException e) {
            log.debug("change listener failed on closing {}: {}", peer, e.toString());
        }
    }

    @Override
    public void close() {
        closeWith(new IOException("connection to " + peer + " closed"));
    }

    /**
     * Requests {@code piece} and waits for its (unverified) bytes, on the connection's clock: until
     * {@code deadline}, or until neither the piece nor the connection got a block for
     * {@code pieceTimeout}; either way the request is withdrawn and {@link PieceTimeoutException}
     * thrown (the peer is slow for us).
     */
    byte[] fetch(int piece, int length, Duration pieceTimeout, Instant deadline)
            throws IOException, InterruptedException {
        return await(piece, requestPiece(piece, length), pieceTimeout, deadline);
    }

    /**
     * Waits for a piece requested with {@link #requestPiece}: its bytes, or a
     * {@link PieceTimeoutException} (the request cancelled) when no block came for {@code pieceTimeout} or
     * {@code deadline} passed.
     */
    byte[] await(int piece, CompletableFuture<byte[]> f, Duration pieceTimeout, Instant deadline)
            throws IOException, InterruptedException {
        PendingPiece p = pending.get(piece);
        try {
            while (true) {
                Instant progress = p == null ? clock.instant() : p.progress;
                Instant last = lastBlock.isAfter(progress) ? lastBlock : progress;
                Instant stalled = last.plus(pieceTimeout);
                Instant until = stalled.isBefore(deadline) ? stalled : deadline;
                try {
                    return ClockWaits.get(f, until, clock);
                } catch (TimeoutException e) {
                    Instant now = clock.instant();
                    if (!now.isBefore(deadline)) {
                        cancel(piece);
                        throw new PieceTimeoutException("piece " + piece + " from " + peer + " timed out: not delivered in time");
                    }
                    Instant latest = p == null ? last : (lastBlock.isAfter(p.progress) ? lastBlock : p.progress);
                    if (!now.isBefore(latest.plus(pieceTimeout))) {
                        cancel(piece);
                        throw new PieceTimeoutException("piece " + piece + " from " + peer + " timed out: no block for "
                                + pieceTimeout);
                    }
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    @Override
    public String toString() {
        return "PeerConnection[" + peer + (urgent ? ", urgent" : "") + (choked ? ", choked" : "")
                + (closed ? ", closed" : "") + "]";
    }
}
