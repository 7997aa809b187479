package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.time.MonotonicClock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * One connection of a {@link PeerWireServer}, from the uploading side: the server's reader thread
 * files the peer's requests into a bounded queue; a writer thread sends control messages (choke,
 * unchoke, have, keep-alive) first and then the queued blocks, each after taking its bytes from
 * the swarm's limiter for the piece ({@link ServedSwarm#limiterFor}) and then from the host's
 * upload {@link RateLimiter}. A connection whose extended handshake says {@code urgent} carries demand
 * fetches: it goes first at the rate limiters, but only within its urgent allowance (see
 * {@link PeerWireServer} for the rule); past it, its blocks wait in line with everyone else's and the
 * {@link Choker} deals it a slot like any other peer for a round.
 *
 * <p>A request for a piece we do not hold (never had, or the host's cache evicted it since we announced it) is
 * no protocol error: the connection stays open. With the BEP 6 fast extension on (both sides set its bit) every
 * request we do not serve, for whatever reason (a piece we do not hold, the peer choked, a cancel), is answered
 * with {@code reject request}, as BEP 6 asks; without it such a request is dropped, as BEP 3 does. A piece
 * withdrawn after it was announced ({@link #donthave}) is told to a peer that asked for BEP 54
 * {@code lt_donthave} in its extended handshake.
 *
 * <p>The pieces this host is fetching now ({@link #fetching}) are told to a peer that asked for {@link Fetching
 * bs_fetching}. Changes are coalesced until the writer gets to them: a piece started and ended (or ended by its
 * {@code have}) before then costs nothing, and one message carries up to {@value Fetching#MAX_ENTRIES} of them.
 *
 * <p>With referrals on ({@link PeerWireServer#referring}) and a peer that asked for {@link Referral bs_referral}
 * and named its listen port: each whole piece sent to it is noted in the server's {@link ReferralBook}. A demand
 * (urgent) request for a piece the book names other agents for is answered, the first time on this connection,
 * with a {@code bs_referral} naming them and then BEP 6 rejects for the piece's blocks (the referral first, so the
 * peer knows of it when the reject arrives); the peer is noted as a holder (it will be soon). The next request for
 * the piece that starts at its first block is served.
 *
 * <p>Closing never interrupts the writer: it may be reading the swarm's files, and an interrupt there
 * closes the {@code FileChannel} for every connection ({@code ClosedByInterruptException}).
 * {@link #closeAndJoin()} closes the socket (which ends a blocked write), wakes the writer's queue and its
 * rate limiter, and joins it. Time stamps are nanoseconds of the server's clock ({@link MonotonicClock#nanos}).
 */
final class UploadConnection {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);
    private static final Object WAKE = new Object();
    /** Stands in the control queue for the {@code bs_fetching} changes pending; built when the writer gets to it. */
    private static final PeerMessage FETCHING_CHANGES = new PeerMessage.Extended(-1, new byte[0]);
    private static final long KEEP_ALIVE_AFTER = TimeUnit.SECONDS.toNanos(90);
    /** How long closing waits for the writer to finish the block it is reading or sending. */
    private static final Duration WRITER_JOIN = Duration.ofSeconds(10);
    /** The urgent allowance holds at most this much of its rate (and at least one block). */
    private static final long ALLOWANCE_BURST_NANOS = TimeUnit.SECONDS.toNanos(1);

    final Socket socket;
    final SwarmId swarmId;
    final ServedSwarm swarm;
    private final PeerWireWriter out;
    private final PeerWireServer server;
    private final ConcurrentLinkedQueue<PeerMessage> control = new ConcurrentLinkedQueue<>();
    private final LinkedBlockingDeque<Object> requests;
    private final AtomicInteger queuedRequests = new AtomicInteger();
    private final int maxQueued;
    volatile boolean interested;
    volatile boolean choked = true;
    volatile boolean urgent;
    volatile boolean optimistic;
    volatile long interestedSince;
    volatile long unchokedAt;
    volatile long writingSince;
    /** When the peer last sent a request (or was admitted): idleness counts from here or the last unchoke. */
    private volatile long lastRequestAt;
    /** When the urgent allowance last ran out; {@link Long#MIN_VALUE} if it never did. */
    private volatile long overranAt = Long.MIN_VALUE;
    private volatile boolean serving;
    private volatile RateLimiter waitingOn = RateLimiter.UNLIMITED;
    private volatile @Nullable Thread writer;
    private double allowance = Double.NaN;
    private long allowanceAt;
    private final InstantSource clock;
    private volatile long lastWrite;
    private volatile boolean closed;
    /** Both sides set the BEP 6 fast extension bit. */
    private final boolean fast;
    /** The extended id the peer wants BEP 54 {@code lt_donthave} under; 0 if it did not ask for it. */
    private volatile int donthaveId;
    /** The extended id the peer wants {@code bs_fetching} under; 0 if it did not ask for it. */
    private volatile int fetchingId;
    /** Guards {@link #advertised}, {@link #fetchingChanges} and {@link #fetchingQueued}. */
    private final Object fetchingLock = new Object();
    /** The pieces the peer was last told we are fetching. */
    private final Set<Integer> advertised = new HashSet<>();
    /** The peer id of the peer's handshake. */
    private final ByteBuffer remotePeerId;
    /** Piece → fetching or not, where that differs from {@link #advertised}, in the order they changed. */
    private final Map<Integer, Boolean> fetchingChanges = new LinkedHashMap<>();
    private boolean fetchingQueued;
    /** The extended id the peer wants {@code bs_referral} under; 0 if it did not ask for it. */
    private volatile int referralId;
    /** The peer's listen address (its BEP 10 {@code p}), null until it names one. */
    private volatile @Nullable InetSocketAddress listenAddress;
    /** Pieces this connection was referred for once (reader thread only). */
    private final Set<Integer> referred = new HashSet<>();
    /** Of those, the pieces whose blocks are rejected still: the rest of the referred request (reader thread only). */
    private final Set<Integer> referring = new HashSet<>();

    UploadConnection(Socket socket, SwarmId swarmId, byte[] remotePeerId, ServedSwarm swarm, PeerWireWriter out,
                     PeerWireServer server, int maxQueued, boolean fast, InstantSource clock) {
        this.remotePeerId = ByteBuffer.wrap(remotePeerId.clone()).asReadOnlyBuffer();
        this.clock = clock;
        this.fast = fast;
        this.lastWrite = MonotonicClock.nanos(clock);
        this.lastRequestAt = lastWrite;
        this.socket = socket;
        this.swarmId = swarmId;
        this.swarm = swarm;
        this.out = out;
        this.server = server;
        this.maxQueued = maxQueued;
        this.requests = new LinkedBlockingDeque<>();
    }

    /**
     * The reader loop: runs on the connection's own thread until the peer leaves or misbehaves; the caller
     * then counts why and calls {@link #closeAndJoin()}.
     */
    void readLoop(PeerWireReader reader) throws IOException {
        writer = Thread.ofVirtual().name("peer-wire-writer-" + socket.getRemoteSocketAddress())
                .start(this::writeLoop);
        while (!closed) {
            switch (reader.read()) {
                case PeerMessage.Interested i -> {
                    if (!interested) {
                        interested = true;
                        interestedSince = MonotonicClock.nanos(clock);
                        server.interestChanged(this);
                    }
                }
                case PeerMessage.NotInterested n -> {
                    if (interested) {
                        interested = false;
                        server.interestChanged(this);
                    }
                }
                case PeerMessage.Request r -> request(r);
                case PeerMessage.Cancel c -> reject(dropQueued(r -> r.piece() == c.piece()
                        && r.begin() == c.begin() && r.length() == c.length()));
                case PeerMessage.Extended e when e.extendedId() == 0 -> extendedHandshake(e.payload());
                case PeerMessage.Piece p -> throw new WireProtocolException("unrequested piece message");
                default -> {
                    // keep-alive, have, bitfield, the peer's own choke state, port, extension messages
                }
            }
        }
    }

    /** Closes the connection and waits for the writer to finish the block it may be reading or sending. */
    void closeAndJoin() {
        close();
        Thread w = writer;
        if (w == null) {
            return;
        }
        try {
            if (!w.join(WRITER_JOIN)) {
                log.warn("peer {}: the writer is still busy {} after the close", socket.getRemoteSocketAddress(),
                        WRITER_JOIN);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void request(PeerMessage.Request r) throws WireProtocolException {
        lastRequestAt = MonotonicClock.nanos(clock);
        int pieceLength = swarm.pieceLength(r.piece());
        if (r.begin() < 0 || (long) r.begin() + r.length() > pieceLength) {
            throw new WireProtocolException("request [" + r.begin() + ", +" + r.length() + ") outside piece "
                    + r.piece() + " of " + pieceLength + " bytes");
        }
        if (!swarm.available().contains(r.piece())) {
            // never had it, or evicted since it was announced (the lt_donthave may be on its way): not the peer's fault
            server.requestRejected();
            reject(r);
            return;
        }
        if (choked) {
            server.requestDropped(); // BEP 3: requests while choked are dropped (BEP 6: rejected)
            reject(r);
            return;
        }
        if (queuedRequests.get() >= maxQueued) {
            throw new WireProtocolException("more than " + maxQueued + " requests outstanding");
        }
        if (referred(r)) {
            return;
        }
        queuedRequests.incrementAndGet();
        requests.offer(new Queued(r, lastRequestAt));
    }

    /** A request in the queue and when it arrived: the order its blocks pass the rate limiters in. */
    private record Queued(PeerMessage.Request request, long arrivedAt) {
    }

    /**
     * Answers {@code r} with a referral and a reject if it is the first demand request on this connection for a
     * piece the referral book names other agents for (or the rest of that request); true if it did.
     */
    private boolean referred(PeerMessage.Request r) {
        ReferralBook book = server.referralBook();
        InetSocketAddress self = listenAddress;
        int id = referralId;
        if (book == null || self == null || id == 0 || !fast || !urgent) {
            return false;
        }
        int piece = r.piece();
        if (r.begin() != 0) {
            if (referring.contains(piece)) {
                reject(r);
                return true;
            }
            return false;
        }
        if (referred.contains(piece)) {
            referring.remove(piece); // asked again: served
            return false;
        }
        long now = MonotonicClock.nanos(clock);
        List<InetSocketAddress> holders = book.holders(swarmId, piece, self, now);
        if (holders.isEmpty()) {
            return false;
        }
        referred.add(piece);
        referring.add(piece);
        book.note(swarmId, piece, self, now, false);
        send(Referral.message(id, new Referral.Holders(piece, holders)));
        reject(r);
        server.referred();
        log.debug("peer {}: piece {} referred to {}", self, piece, holders);
        return true;
    }

    /** Removes the queued requests that {@code which} matches; returns them. */
    private List<PeerMessage.Request> dropQueued(Predicate<PeerMessage.Request> which) {
        List<PeerMessage.Request> dropped = new ArrayList<>();
        for (Iterator<Object> it = requests.iterator(); it.hasNext(); ) {
            if (it.next() instanceof Queued q && which.test(q.request())) {
                it.remove();
                queuedRequests.decrementAndGet();
                dropped.add(q.request());
            }
        }
        return dropped;
    }

    /** Answers a request we will not serve with BEP 6 {@code reject request}; without the fast extension, drops it. */
    private void reject(PeerMessage.Request r) {
        if (fast && !closed) {
            send(new PeerMessage.RejectRequest(r.piece(), r.begin(), r.length()));
        }
    }

    private void reject(List<PeerMessage.Request> dropped) {
        dropped.forEach(this::reject);
    }

    /**
     * {@code piece} is no longer served (the host's cache evicted it): tells the peer with {@code lt_donthave}
     * if it asked for it, and rejects (BEP 6) or drops its queued requests for the piece.
     */
    void donthave(int piece) {
        List<PeerMessage.Request> dropped = dropQueued(r -> r.piece() == piece);
        int id = donthaveId;
        if (id != 0) {
            send(DontHave.message(id, piece));
        }
        reject(dropped);
    }

    /** Whether both sides set the BEP 6 fast extension bit. */
    boolean fast() {
        return fast;
    }

    /**
     * This host started ({@code now}) or stopped fetching {@code piece}: the peer is told with {@code bs_fetching}
     * if it asked for it, once the writer gets to it (changes that cancel out before then are not sent).
     */
    void fetching(int piece, boolean now) {
        synchronized (fetchingLock) {
            if (advertised.contains(piece) == now) {
                fetchingChanges.remove(piece);
            } else {
                fetchingChanges.put(piece, now);
            }
            queueFetchingChanges();
        }
    }

    /** Guarded by the fetching lock. */
    private void queueFetchingChanges() {
        if (!fetchingChanges.isEmpty() && !fetchingQueued && fetchingId != 0 && !closed) {
            fetchingQueued = true;
            send(FETCHING_CHANGES);
        }
    }

    /** The {@code bs_fetching} message of the changes pending (at most a message's worth), or null for none. */
    private @Nullable PeerMessage takeFetchingChanges() {
        synchronized (fetchingLock) {
            fetchingQueued = false;
            List<Fetching.Change> out = new ArrayList<>();
            for (Iterator<Map.Entry<Integer, Boolean>> it = fetchingChanges.entrySet().iterator();
                 it.hasNext() && out.size() < Fetching.MAX_ENTRIES; ) {
                Map.Entry<Integer, Boolean> e = it.next();
                it.remove();
                if (e.getValue()) {
                    advertised.add(e.getKey());
                } else {
                    advertised.remove(e.getKey());
                }
                out.add(new Fetching.Change(e.getKey(), e.getValue()));
            }
            queueFetchingChanges(); // more than one message's worth: the rest goes next
            return out.isEmpty() ? null : Fetching.message(fetchingId, out);
        }
    }

    /**
     * Announces {@code piece} with {@code have}, which also ends its {@code bs_fetching} advertisement; not to a
     * peer that {@code remoteHas} (by its handshake's peer id; null: none known) says holds it already, unless it
     * was told we are fetching the piece (BEP 3 allows the have to be left out: the peer will not ask for it).
     *
     * @return whether the have was sent
     */
    boolean have(int piece, @Nullable Predicate<ByteBuffer> remoteHas) {
        synchronized (fetchingLock) {
            boolean wasAdvertised = advertised.remove(piece);
            fetchingChanges.remove(piece);
            if (!wasAdvertised && remoteHas != null && remoteHas.test(remotePeerId)) {
                return false;
            }
        }
        send(new PeerMessage.Have(piece));
        return true;
    }

    private void extendedHandshake(byte[] payload) {
        try {
            if (Bencode.decode(payload) instanceof Map<?, ?> m) {
                extendedHandshake(m);
            }
        } catch (IllegalArgumentException e) {
            // an extended handshake we cannot read: treat the peer as an ordinary one
        }
    }

    /**
     * BEP 10 extended handshake keys we use: {@code p} (the peer's listen port), our {@code urgent}, and
     * {@code lt_donthave} (BEP 54) and our {@code bs_fetching} and {@code bs_referral} in {@code m}.
     */
    void extendedHandshake(Map<?, ?> m) {
        donthaveId = DontHave.idIn(m);
        synchronized (fetchingLock) {
            fetchingId = Fetching.idIn(m);
            queueFetchingChanges();
        }
        referralId = Referral.idIn(m);
        if (m.get("p") instanceof Long port && port > 0 && port < 65536) {
            if (socket.getInetAddress() != null) {
                listenAddress = new InetSocketAddress(socket.getInetAddress(), port.intValue());
            }
            server.peerSeen(this, port.intValue());
        }
        if (Long.valueOf(1).equals(m.get("urgent")) && !urgent) {
            urgent = true;
            server.interestChanged(this);
        }
    }

    /** The peer said it was interested before it was admitted. */
    void interestedEarly() {
        if (!interested) {
            interested = true;
            interestedSince = MonotonicClock.nanos(clock);
            server.interestChanged(this);
        }
    }

    /** Queues a control message (sent before any block). */
    void send(PeerMessage m) {
        control.offer(m);
        requests.offerFirst(WAKE);
    }

    void choke() {
        if (!choked) {
            choked = true;
            optimistic = false;
            List<PeerMessage.Request> dropped = dropQueued(r -> true);
            send(PeerMessage.CHOKE);
            reject(dropped); // BEP 6: a choke no longer rejects the requests by itself
            waitingOn.wake();
        }
    }

    void unchoke(boolean asOptimistic) {
        if (choked) {
            choked = false;
            optimistic = asOptimistic;
            unchokedAt = MonotonicClock.nanos(clock);
            send(PeerMessage.UNCHOKE);
        }
    }

    private void writeLoop() {
        byte[] block = new byte[WireLimits.BLOCK_LENGTH];
        try {
            while (!closed) {
                PeerMessage polled = control.poll();
                if (polled != null) {
                    PeerMessage m = polled == FETCHING_CHANGES ? takeFetchingChanges() : polled;
                    if (m != null) {
                        write(() -> out.write(m));
                        if (polled == FETCHING_CHANGES) {
                            server.fetchingMessageSent();
                        }
                    }
                    if (control.isEmpty() && requests.isEmpty()) {
                        flush();
                    }
                    continue;
                }
                Object next = requests.poll(30, TimeUnit.SECONDS);
                if (next instanceof Queued) {
                    queuedRequests.decrementAndGet();
                }
                if (next == null) {
                    if (MonotonicClock.nanos(clock) - lastWrite > KEEP_ALIVE_AFTER) {
                        write(() -> out.write(PeerMessage.KEEP_ALIVE));
                        flush();
                    }
                    continue;
                }
                if (next instanceof Queued q && !choked) {
                    serving = true;
                    try {
                        serve(q.request(), q.arrivedAt(), block);
                    } finally {
                        serving = false;
                    }
                }
                if (control.isEmpty() && requests.isEmpty()) {
                    flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
        } catch (IOException | RuntimeException e) {
            if (e instanceof SocketException || closed || server.isClosed()) {
                log.debug("peer {} gone while sending: {}", socket.getRemoteSocketAddress(), e.toString());
            } else {
                log.warn("closing peer {}: sending failed: {}", socket.getRemoteSocketAddress(), e.toString());
            }
            close();
        }
    }

    /**
     * Sends the block {@code r} asks for, unless the peer is choked or gone while it waits for the limiters; it
     * waits there in the place of when it {@code arrivedAt}, oldest request first across connections.
     */
    private void serve(PeerMessage.Request r, long arrivedAt, byte[] block) throws IOException, InterruptedException {
        if (!swarm.available().contains(r.piece())) {
            server.requestRejected(); // evicted while the request waited in the queue
            reject(r);
            return;
        }
        RateLimiter pieceLimit = swarm.limiterFor(r.piece());
        boolean asUrgent = urgent && withinAllowance(r.length(), pieceLimit);
        if (!pass(pieceLimit, r.length(), asUrgent, arrivedAt)
                || !pass(server.uploadLimiter(), r.length(), asUrgent, arrivedAt)) {
            reject(r); // choked (or closed) while it waited for the limiters
            return;
        }
        try {
            swarm.readBlock(r.piece(), r.begin(), block, r.length());
        } catch (PieceUnavailableException gone) {
            server.requestRejected(); // evicted while the block waited for the limiters
            reject(r);
            return;
        }
        ReferralBook book = server.referralBook();
        InetSocketAddress self = listenAddress;
        if (book != null && self != null && referralId != 0
                && (long) r.begin() + r.length() == swarm.pieceLength(r.piece())) {
            // its last block: the whole piece sent (noted first, so that the peer is named once it has the piece)
            book.note(swarmId, r.piece(), self, MonotonicClock.nanos(clock), true);
        }
        write(() -> out.writePiece(r.piece(), r.begin(), block, 0, r.length()));
        swarm.uploaded(r.length());
        server.blockServed(r.length());
    }

    /**
     * Waits at {@code limiter}; what is buffered is flushed first if it will have to wait, so that the blocks
     * sent before reach the peer now rather than after the wait.
     */
    private boolean pass(RateLimiter limiter, int bytes, boolean asUrgent, long order)
            throws InterruptedException, IOException {
        if (limiter.isLimited() && limiter.available() <= 0) {
            flush();
        }
        waitingOn = limiter;
        try {
            return limiter.acquire(bytes, asUrgent, order, () -> closed || choked);
        } finally {
            waitingOn = RateLimiter.UNLIMITED;
        }
    }

    /**
     * Takes {@code bytes} from the urgent allowance, which refills at the server's urgent rate per urgent
     * connection ({@link PeerWireServer#urgentRatePerPeer}); false (and the overrun noted for the
     * {@link Choker}) when it is used up. Without any rate limit there is no allowance to keep: urgency then
     * only decides the unchoke, and TCP shares the link. Called by the writer thread only.
     */
    private boolean withinAllowance(int bytes, RateLimiter pieceLimit) {
        double rate = server.urgentRatePerPeer(pieceLimit);
        if (rate <= 0) {
            return true;
        }
        long now = MonotonicClock.nanos(clock);
        double burst = Math.max(WireLimits.BLOCK_LENGTH, rate * ALLOWANCE_BURST_NANOS / 1e9);
        allowance = Double.isNaN(allowance) ? burst : Math.min(burst, allowance + (now - allowanceAt) * rate / 1e9);
        allowanceAt = now;
        if (allowance > 0) {
            allowance -= bytes;
            return true;
        }
        overranAt = now;
        return false;
    }

    /**
     * True while this urgent connection stays within its allowance: it ran out of it not at all, or longer
     * than {@code round} ago. Such a connection is unchoked outside the upload slots.
     */
    boolean urgentInBudget(long now, long round) {
        return urgent && (overranAt == Long.MIN_VALUE || now - overranAt >= round);
    }

    /** True when the peer sent a request (or was admitted) within {@code round} nanoseconds, or has some queued. */
    boolean requestedWithin(long now, long round) {
        return now - lastRequestAt < round || queuedRequests.get() > 0;
    }

    /**
     * True when the peer has sent no request for {@code limit} nanoseconds (keep-alives and other messages do
     * not count) while it could have: it is not waiting for an unchoke, nothing of it is queued or being sent,
     * and it was unchoked (or admitted) longer ago than that.
     */
    boolean idle(long now, long limit) {
        if (closed || (interested && choked) || serving || queuedRequests.get() > 0 || writingSince != 0) {
            return false;
        }
        return now - Math.max(lastRequestAt, unchokedAt) > limit;
    }

    @FunctionalInterface
    private interface Write {
        void run() throws IOException;
    }

    private void write(Write w) throws IOException {
        writingSince = MonotonicClock.nanos(clock);
        try {
            w.run();
        } finally {
            writingSince = 0;
            lastWrite = MonotonicClock.nanos(clock);
        }
    }

    private void flush() throws IOException {
        write(out::flush);
    }

    /** Closes the socket and wakes the writer wherever it waits; never interrupts it. */
    void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        requests.offerFirst(WAKE);
        waitingOn.wake();
    }

    /** The number of requests waiting to be served. */
    int queued() {
        return queuedRequests.get();
    }

    /** True when a write has been stuck for longer than {@code nanos}. */
    boolean stalled(long nanos) {
        long since = writingSince;
        return since != 0 && MonotonicClock.nanos(clock) - since > nanos;
    }

}
