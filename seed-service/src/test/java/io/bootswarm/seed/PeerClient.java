package io.bootswarm.seed;

import io.bootswarm.testing.Sockets;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.wire.WireLimits;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A minimal BitTorrent peer for tests: handshake, interest, pipelined block requests, raw bytes when needed. */
public final class PeerClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream rawOut;
    private final PeerWireWriter out;
    private PeerWireReader reader;

    private PeerClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000);
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.rawOut = socket.getOutputStream();
        this.out = new PeerWireWriter(rawOut);
    }

    public static PeerClient connect(int port) throws IOException {
        return new PeerClient(new Socket("127.0.0.1", port));
    }

    /** This client's peer id. */
    public static final byte[] PEER_ID = "-TEST01-abcdefghijkl".getBytes();

    /**
     * Sends our handshake for {@code swarm} and reads the seed's and its BEP 10 extended handshake, then
     * sends ours with a valid access token ({@link TestPeerTokens}); then messages are read with
     * {@code pieceCount} limits.
     */
    public Handshake handshake(SwarmId swarm, int pieceCount) throws IOException {
        return handshake(swarm, pieceCount, TestPeerTokens.token(swarm, PEER_ID));
    }

    /** As {@link #handshake(SwarmId, int)}, presenting {@code token} (none if null), as a stock client would. */
    public Handshake handshake(SwarmId swarm, int pieceCount, byte[] token) throws IOException {
        out.writeHandshake(new Handshake(Handshake.ourReserved(), swarm, PEER_ID));
        out.flush();
        Handshake theirs = PeerWireReader.readHandshake(in);
        reader = new PeerWireReader(in, WireLimits.forPieces(pieceCount));
        PeerMessage m = reader.read();
        if (!(m instanceof PeerMessage.Extended e) || e.extendedId() != 0) {
            throw new IOException("expected the BEP 10 extended handshake, got " + m);
        }
        Map<String, Object> ours = new HashMap<>(Map.of("m", Map.of(), "v", "PeerClient"));
        if (token != null) {
            ours.put(PeerAccess.TOKEN_KEY, token);
        }
        send(new PeerMessage.Extended(0, Bencode.encode(ours)));
        return theirs;
    }

    public void send(PeerMessage m) throws IOException {
        out.write(m);
        out.flush();
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.flush();
        rawOut.write(bytes);
        rawOut.flush();
    }

    public PeerMessage read() throws IOException {
        return reader.read();
    }

    /** Requests every 16 KiB block of {@code piece} (pipelined) and assembles the piece. */
    public byte[] fetchPiece(int piece, int pieceLength) throws IOException {
        for (int begin = 0; begin < pieceLength; begin += WireLimits.BLOCK_LENGTH) {
            out.write(new PeerMessage.Request(piece, begin, Math.min(WireLimits.BLOCK_LENGTH, pieceLength - begin)));
        }
        out.flush();
        byte[] data = new byte[pieceLength];
        int received = 0;
        while (received < pieceLength) {
            PeerMessage m = read();
            if (m instanceof PeerMessage.Piece p) {
                if (p.piece() != piece) {
                    throw new IOException("got a block of piece " + p.piece() + ", asked for " + piece);
                }
                System.arraycopy(p.block(), 0, data, p.begin(), p.block().length);
                received += p.block().length;
            }
        }
        return data;
    }

    /** True if the other side closed the connection (EOF or reset) within {@code timeout}. */
    public boolean closedByPeer(Duration timeout) throws IOException {
        return Sockets.closedByOtherSide(socket, in, timeout);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
