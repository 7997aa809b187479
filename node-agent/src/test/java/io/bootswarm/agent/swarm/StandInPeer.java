package io.bootswarm.agent.swarm;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.DontHave;
import io.bootswarm.common.wire.Fetching;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.wire.WireLimits;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A peer a test plays by hand over a real loopback socket: it answers the handshake for one image's
 * swarm, says it has every piece and unchokes, and then records the requests and cancels it gets
 * (and on which class of connection, urgent or not) without answering them, until the test tells it
 * to serve a piece: with the image's bytes, or with garbage ({@link #corrupt}), or chosen blocks of it
 * ({@link #serveBlocks}). With {@link #limitRequests} it advertises a BEP 10 {@code reqq} and closes a
 * connection that has more block requests outstanding, as the seed does. Never told to serve, it is a
 * tarpit: full bitfield, unchoke, then silence. With {@link #reject} it sets the BEP 6 fast extension bit
 * and answers requests for the given pieces with {@code reject request}, as a peer whose cache evicted them; with
 * {@link #rejectCancels} it sets that bit and answers a cancel of a block not sent yet with {@code reject request},
 * as the peer wire server does. With {@link #choke} it chokes every connection and drops the requests that come
 * until {@link #unchoke} (BEP 3).
 * With {@link #lack} it leaves pieces out of its bitfield; {@link #sendFetching} sends {@code bs_fetching}
 * payloads, well-formed or not. It counts the blocks it sent per piece ({@link #blocksSent}) and the requests it got
 * per block ({@link #blockRequests}); {@link #corruptNextBlocks} spoils single blocks.
 */
final class StandInPeer implements AutoCloseable {

    /** A request or cancel as received: the first block's. */
    record Received(int piece, boolean urgent, boolean cancel) {
    }

    private final Manifest manifest;
    private final byte[] image;
    private final ServerSocket server;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Set<Integer> serveAtOnce = ConcurrentHashMap.newKeySet();
    private volatile boolean corrupt;
    private volatile boolean refuse;
    private volatile int reqq;
    private final Set<Integer> rejecting = ConcurrentHashMap.newKeySet();
    private volatile boolean rejectsCancels;
    /** With {@link #holdCancelRejects}: the rejects answering cancels, not sent yet, each with its connection. */
    private volatile java.util.Queue<Map.Entry<Connection, PeerMessage.RejectRequest>> heldRejects;
    private final AtomicInteger rejected = new AtomicInteger();
    private final AtomicInteger maxOutstanding = new AtomicInteger();
    private final AtomicInteger overBudget = new AtomicInteger();
    private final List<Long> theirReqq = new CopyOnWriteArrayList<>();
    private final Set<Integer> lacking = ConcurrentHashMap.newKeySet();
    private volatile byte[] peerId = "-STANDIN-0123456789a".getBytes();
    private final Map<Integer, AtomicInteger> blocksSent = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> blockRequests = new ConcurrentHashMap<>();
    private final AtomicInteger corruptNext = new AtomicInteger();

    private final class Connection {
        final Socket socket;
        final PeerWireWriter out;
        volatile boolean urgent;
        /** Both sides set the BEP 6 fast extension bit. */
        volatile boolean fast;
        /** The extended id the other side wants BEP 54 {@code lt_donthave} under; 0 for none. */
        volatile int donthaveId;
        /** The extended id the other side wants {@code bs_fetching} under; 0 for none. */
        volatile int fetchingId;
        /** The extended id the other side wants {@code bs_referral} under; 0 for none. */
        volatile int referralId;
        /** Block requests received and neither served nor cancelled: {@code piece << 32 | begin}. */
        final Set<Long> outstanding = ConcurrentHashMap.newKeySet();

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.out = new PeerWireWriter(socket.getOutputStream());
        }

        synchronized void send(PeerMessage m) throws IOException {
            out.write(m);
            out.flush();
        }

        /** Sends every block of {@code piece} this connection has asked for and not been sent yet. */
        void serve(int piece) throws IOException {
            byte[] bytes = pieceBytes(piece);
            for (int begin = 0; begin < bytes.length; begin += WireLimits.BLOCK_LENGTH) {
                sendIfOutstanding(bytes, piece, begin);
            }
        }

        void sendBlock(byte[] bytes, int piece, int begin) throws IOException {
            int n = Math.min(WireLimits.BLOCK_LENGTH, bytes.length - begin);
            byte[] block = new byte[n];
            System.arraycopy(bytes, begin, block, 0, n);
            spoilIfAsked(block);
            outstanding.remove(key(piece, begin));
            send(new PeerMessage.Piece(piece, begin, block));
            sent(piece);
        }

        /**
         * Sends a block asked for and not sent yet. Whichever thread takes it off the outstanding set
         * sends it, so the test thread serving a piece and the reader answering the request for it never
         * both do, and no block goes out before it is asked for.
         */
        void sendIfOutstanding(byte[] bytes, int piece, int begin) throws IOException {
            if (outstanding.remove(key(piece, begin))) {
                int n = Math.min(WireLimits.BLOCK_LENGTH, bytes.length - begin);
                byte[] block = new byte[n];
                System.arraycopy(bytes, begin, block, 0, n);
                spoilIfAsked(block);
                send(new PeerMessage.Piece(piece, begin, block));
                sent(piece);
            }
        }

        void serveBlocks(int piece, int... blocks) throws IOException {
            int length = manifest.pieceLength(piece);
            byte[] bytes = new byte[length];
            System.arraycopy(image, (int) manifest.pieceOffset(piece), bytes, 0, length);
            for (int b : blocks) {
                sendBlock(bytes, piece, b * WireLimits.BLOCK_LENGTH);
            }
        }
    }

    private byte[] pieceBytes(int piece) {
        byte[] bytes = new byte[manifest.pieceLength(piece)];
        System.arraycopy(image, (int) manifest.pieceOffset(piece), bytes, 0, bytes.length);
        if (corrupt) {
            bytes[0] ^= 1;
        }
        return bytes;
    }

    private void spoilIfAsked(byte[] block) {
        if (corruptNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            block[0] ^= 1;
        }
    }

    /** The next {@code n} blocks sent go out with their first byte flipped. */
    void corruptNextBlocks(int n) {
        corruptNext.set(n);
    }

    /** Requests received for block {@code index} of {@code piece}, on every connection together. */
    int blockRequests(int piece, int index) {
        AtomicInteger n = blockRequests.get(key(piece, index * WireLimits.BLOCK_LENGTH));
        return n == null ? 0 : n.get();
    }

    /**
     * Sends every block of {@code piece} each connection has asked for and not been sent yet when this is called;
     * requests that come while it sends, and later ones, wait (unlike {@link #serve}).
     */
    void serveAskedSoFar(int piece) throws IOException {
        serveAskedSoFar(piece, block -> true);
    }

    /** {@link #serveAskedSoFar(int)}, only the blocks (indexes) {@code which} accepts. */
    void serveAskedSoFar(int piece, java.util.function.IntPredicate which) throws IOException {
        byte[] bytes = pieceBytes(piece);
        for (Connection c : connections) {
            List<Long> asked = c.outstanding.stream().filter(k -> (int) (k >>> 32) == piece).sorted().toList();
            for (long k : asked) {
                if (which.test((int) k / WireLimits.BLOCK_LENGTH)) {
                    c.sendIfOutstanding(bytes, piece, (int) k);
                }
            }
        }
    }

    private void sent(int piece) {
        blocksSent.computeIfAbsent(piece, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Block requests for {@code piece} received and neither served nor cancelled, on every connection together. */
    int outstandingBlocks(int piece) {
        int n = 0;
        for (Connection c : connections) {
            for (long k : c.outstanding) {
                if ((int) (k >>> 32) == piece) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Blocks of {@code piece} sent so far, on every connection together. */
    int blocksSent(int piece) {
        AtomicInteger n = blocksSent.get(piece);
        return n == null ? 0 : n.get();
    }

    /** New connections get {@code id} (20 bytes) as the peer id of our handshake. */
    void peerId(byte[] id) {
        peerId = id.clone();
    }

    /** New connections get a bitfield without {@code pieces}. */
    void lack(int... pieces) {
        for (int p : pieces) {
            lacking.add(p);
        }
    }

    /** Whether a connection asked for {@code bs_fetching} in its extended handshake. */
    boolean askedForFetching() {
        return connections.stream().anyMatch(c -> c.fetchingId != 0);
    }

    /** Sends {@code payload} as {@code bs_fetching} on every connection that asked for it; returns how many. */
    int sendFetching(byte[] payload) throws IOException {
        int told = 0;
        for (Connection c : connections) {
            if (c.fetchingId != 0) {
                c.send(new PeerMessage.Extended(c.fetchingId, payload));
                told++;
            }
        }
        return told;
    }

    /** Sends {@code payload} as {@code bs_referral} on every connection that asked for it; returns how many. */
    int sendReferral(byte[] payload) throws IOException {
        int told = 0;
        for (Connection c : connections) {
            if (c.referralId != 0) {
                c.send(new PeerMessage.Extended(c.referralId, payload));
                told++;
            }
        }
        return told;
    }

    /** Whether a connected peer asked for {@code bs_referral}. */
    boolean askedForReferrals() {
        return connections.stream().anyMatch(c -> c.referralId != 0);
    }

    private static long key(int piece, int begin) {
        return (long) piece << 32 | begin;
    }

    StandInPeer(Manifest manifest, byte[] image) throws IOException {
        this.manifest = manifest;
        this.image = image;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("stand-in-peer").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    Peer peer(boolean seed) {
        return new Peer("127.0.0.1", port(), seed);
    }

    /**
     * New connections get the BEP 6 fast extension bit in our handshake, and requests for {@code pieces} are
     * answered with {@code reject request} (still advertised in the bitfield: evicted after it was sent).
     */
    void reject(int... pieces) {
        for (int p : pieces) {
            rejecting.add(p);
        }
    }

    /**
     * New connections get the BEP 6 fast extension bit in our handshake, and a cancel of a block asked for and not
     * sent yet is answered with {@code reject request} (BEP 6: a cancelled request is answered with the block or a
     * reject).
     */
    void rejectCancels() {
        rejectsCancels = true;
    }

    /**
     * As {@link #rejectCancels}, but the rejects are held until {@link #releaseCancelRejects}: as the peer wire
     * server's are while its writer waits at a rate limiter with a block (its control messages go out after it).
     */
    void holdCancelRejects() {
        heldRejects = new java.util.concurrent.ConcurrentLinkedQueue<>();
        rejectsCancels = true;
    }

    /** Sends the rejects held so far (since {@link #holdCancelRejects}); returns how many. */
    int releaseCancelRejects() throws IOException {
        int n = heldRejects.size();
        for (int i = 0; i < n; i++) {
            Map.Entry<Connection, PeerMessage.RejectRequest> e = heldRejects.remove();
            e.getKey().send(e.getValue());
        }
        return n;
    }

    /** Rejects held since {@link #holdCancelRejects} and not released yet. */
    int heldCancelRejects() {
        return heldRejects.size();
    }

    /** Block requests answered with {@code reject request} so far (when asked for, or when cancelled). */
    int rejected() {
        return rejected.get();
    }

    /** From now on, pieces are served with their first byte flipped. */
    void corrupt() {
        corrupt = true;
    }

    /** From now on, pieces are served as they are. */
    void heal() {
        corrupt = false;
    }

    /** The next {@code n} requests (first blocks) close their connection instead of being recorded. */
    void dropOnRequest(int n) {
        dropNext.set(n);
    }

    private final AtomicInteger dropNext = new AtomicInteger();
    private final AtomicInteger urgentConnections = new AtomicInteger();

    /** Connections that said they were urgent (demand) in their extended handshake, so far. */
    int urgentConnections() {
        return urgentConnections.get();
    }

    /**
     * Withdraws {@code piece} with BEP 54 {@code lt_donthave} on every connection that asked for it; returns how
     * many were told.
     */
    int donthave(int piece) throws IOException {
        int told = 0;
        for (Connection c : connections) {
            if (c.donthaveId != 0) {
                c.send(DontHave.message(c.donthaveId, piece));
                told++;
            }
        }
        return told;
    }

    /** Sends {@code choke} on every connection: from then on the requests it gets are dropped (BEP 3), not served. */
    void choke() throws IOException {
        choked = true;
        for (Connection c : connections) {
            c.send(PeerMessage.CHOKE);
        }
    }

    /** Sends {@code unchoke} on every connection; requests are recorded (and served when asked) again. */
    void unchoke() throws IOException {
        choked = false;
        for (Connection c : connections) {
            c.send(PeerMessage.UNCHOKE);
        }
    }

    /** Block requests dropped because they came while this peer had us choked (BEP 3). */
    int droppedWhileChoked() {
        return droppedWhileChoked.get();
    }

    private volatile boolean choked;
    private final AtomicInteger droppedWhileChoked = new AtomicInteger();

    /** Sends {@code have} for {@code piece} on every connection. */
    void have(int piece) throws IOException {
        for (Connection c : connections) {
            c.send(new PeerMessage.Have(piece));
        }
    }

    /**
     * New connections are told (BEP 10 {@code reqq}) that at most {@code n} block requests may be outstanding,
     * and are closed when more are, as the seed closes them.
     */
    void limitRequests(int n) {
        reqq = n;
    }

    /** The most block requests one connection had outstanding at once. */
    int maxOutstanding() {
        return maxOutstanding.get();
    }

    /** Connections closed for having more requests outstanding than advertised. */
    int overBudget() {
        return overBudget.get();
    }

    /** The {@code reqq} each connecting peer named in its extended handshake (none: not listed). */
    List<Long> theirReqq() {
        return List.copyOf(theirReqq);
    }

    /** Sends the given blocks (indexes, in this order, repeats allowed) of {@code piece} on every connection. */
    void serveBlocks(int piece, int... blocks) throws IOException {
        for (Connection c : connections) {
            c.serveBlocks(piece, blocks);
        }
    }

    /** From now on, connections are closed before the handshake (the connect fails). */
    void refuse() {
        refuse = true;
    }

    /** Connections accepted so far (refused ones included). */
    int accepted() {
        return accepted;
    }

    private volatile int accepted;

    /**
     * Serves {@code piece}: every block of it a connection has asked for is sent on that connection,
     * and from now on each request for one of its blocks is answered as it arrives.
     */
    void serve(int piece) throws IOException {
        serveAtOnce.add(piece);
        for (Connection c : connections) {
            c.serve(piece);
        }
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    long requests(int piece, boolean urgent) {
        return received.stream().filter(r -> r.piece() == piece && r.urgent() == urgent && !r.cancel()).count();
    }

    long cancels(int piece, boolean urgent) {
        return received.stream().filter(r -> r.piece() == piece && r.urgent() == urgent && r.cancel()).count();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted++;
                if (refuse) {
                    s.close();
                    continue;
                }
                Thread.ofVirtual().name("stand-in-peer-conn").start(() -> handle(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            Handshake theirs = PeerWireReader.readHandshake(in);
            Connection c = new Connection(s);
            boolean fast = !rejecting.isEmpty() || rejectsCancels;
            c.fast = fast && theirs.supportsFast();
            c.out.writeHandshake(new Handshake(!fast ? Handshake.ourReserved()
                    : Handshake.ourReservedWithFast(), theirs.swarmId(),
                    peerId));
            int limit = reqq;
            if (limit > 0) {
                c.out.write(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(), "reqq", (long) limit))));
            }
            PieceSet has = PieceSet.full(manifest.pieceCount());
            lacking.forEach(has::remove);
            c.out.write(new PeerMessage.Bitfield(has.toBitfield()));
            c.out.flush();
            connections.add(c);
            try {
                readRequests(c, in, limit);
            } finally {
                connections.remove(c);
            }
        } catch (IOException e) {
            // the other side closed
        }
    }

    private void readRequests(Connection c, InputStream in, int limit) throws IOException {
        PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(manifest.pieceCount()));
        while (true) {
            switch (reader.read()) {
                case PeerMessage.Extended e when e.extendedId() == 0 -> {
                    Object hs = Bencode.decode(e.payload());
                    c.urgent = hs instanceof Map<?, ?> m && Long.valueOf(1).equals(m.get("urgent"));
                    if (c.urgent) {
                        urgentConnections.incrementAndGet();
                    }
                    if (hs instanceof Map<?, ?> m && m.get("reqq") instanceof Long q) {
                        theirReqq.add(q);
                    }
                    if (hs instanceof Map<?, ?> m) {
                        c.donthaveId = DontHave.idIn(m);
                        c.fetchingId = Fetching.idIn(m);
                        c.referralId = io.bootswarm.common.wire.Referral.idIn(m);
                    }
                }
                case PeerMessage.Interested i -> c.send(PeerMessage.UNCHOKE);
                case PeerMessage.Request r when rejecting.contains(r.piece()) && c.fast -> {
                    if (r.begin() == 0) {
                        received.add(new Received(r.piece(), c.urgent, false));
                    }
                    rejected.incrementAndGet();
                    c.send(new PeerMessage.RejectRequest(r.piece(), r.begin(), r.length()));
                }
                case PeerMessage.Request r when choked -> droppedWhileChoked.incrementAndGet();
                case PeerMessage.Request r -> {
                    if (r.begin() == 0 && dropNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        return; // closes the connection
                    }
                    blockRequests.computeIfAbsent(key(r.piece(), r.begin()), k -> new AtomicInteger()).incrementAndGet();
                    c.outstanding.add(key(r.piece(), r.begin()));
                    int n = c.outstanding.size();
                    maxOutstanding.accumulateAndGet(n, Math::max);
                    if (limit > 0 && n > limit) {
                        overBudget.incrementAndGet();
                        return; // "more than reqq requests outstanding": closes the connection
                    }
                    if (r.begin() == 0) {
                        received.add(new Received(r.piece(), c.urgent, false));
                    }
                    if (serveAtOnce.contains(r.piece())) {
                        c.sendIfOutstanding(pieceBytes(r.piece()), r.piece(), r.begin());
                    }
                }
                case PeerMessage.Cancel x -> {
                    if (c.outstanding.remove(key(x.piece(), x.begin())) && rejectsCancels && c.fast) {
                        rejected.incrementAndGet();
                        PeerMessage.RejectRequest reject = new PeerMessage.RejectRequest(x.piece(), x.begin(),
                                x.length());
                        java.util.Queue<Map.Entry<Connection, PeerMessage.RejectRequest>> held = heldRejects;
                        if (held != null) {
                            held.add(Map.entry(c, reject));
                        } else {
                            c.send(reject);
                        }
                    }
                    if (x.begin() == 0) {
                        received.add(new Received(x.piece(), c.urgent, true));
                    }
                }
                default -> {
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection c : connections) {
            c.socket.close();
        }
    }
}
