package io.bootswarm.agent.swarm;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSet;
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

/**
 * A peer a test plays by hand over a real loopback socket: it answers the handshake for one image's
 * swarm, says it has every piece and unchokes, and then records the requests and cancels it gets
 * (and on which class of connection, urgent or not) without answering them, until the test tells it
 * to serve a piece: with the image's bytes, or with garbage ({@link #corrupt}).
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

    private final class Connection {
        final Socket socket;
        final PeerWireWriter out;
        volatile boolean urgent;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.out = new PeerWireWriter(socket.getOutputStream());
        }

        synchronized void send(PeerMessage m) throws IOException {
            out.write(m);
            out.flush();
        }

        void serve(int piece) throws IOException {
            int length = manifest.pieceLength(piece);
            byte[] bytes = new byte[length];
            System.arraycopy(image, (int) manifest.pieceOffset(piece), bytes, 0, length);
            if (corrupt) {
                bytes[0] ^= 1;
            }
            for (int begin = 0; begin < length; begin += WireLimits.BLOCK_LENGTH) {
                int n = Math.min(WireLimits.BLOCK_LENGTH, length - begin);
                byte[] block = new byte[n];
                System.arraycopy(bytes, begin, block, 0, n);
                send(new PeerMessage.Piece(piece, begin, block));
            }
        }
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

    /** From now on, pieces are served with their first byte flipped. */
    void corrupt() {
        corrupt = true;
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

    /** Serves {@code piece} on every connection that has asked for it; and at once on later requests. */
    void serve(int piece) throws IOException {
        serveAtOnce.add(piece);
        for (Received r : received) {
            if (r.piece() == piece && !r.cancel()) {
                for (Connection c : connections) {
                    if (c.urgent == r.urgent()) {
                        c.serve(piece);
                    }
                }
            }
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
            c.out.writeHandshake(new Handshake(Handshake.ourReserved(), theirs.swarmId(),
                    "-STANDIN-0123456789a".getBytes()));
            c.out.write(new PeerMessage.Bitfield(PieceSet.full(manifest.pieceCount()).toBitfield()));
            c.out.flush();
            connections.add(c);
            PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(manifest.pieceCount()));
            while (true) {
                switch (reader.read()) {
                    case PeerMessage.Extended e when e.extendedId() == 0 -> {
                        Object hs = Bencode.decode(e.payload());
                        c.urgent = hs instanceof Map<?, ?> m && Long.valueOf(1).equals(m.get("urgent"));
                    }
                    case PeerMessage.Interested i -> c.send(PeerMessage.UNCHOKE);
                    case PeerMessage.Request r when r.begin() == 0 -> {
                        received.add(new Received(r.piece(), c.urgent, false));
                        if (serveAtOnce.contains(r.piece())) {
                            c.serve(r.piece());
                        }
                    }
                    case PeerMessage.Cancel x when x.begin() == 0 -> received.add(new Received(x.piece(), c.urgent, true));
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            // the other side closed
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
