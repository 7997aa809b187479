package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;

import java.io.BufferedInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * Loopback throughput of {@link PeerWireServer} serving an in-memory swarm to one peer that keeps
 * {@code depth} 16 KiB requests in flight (client in the same JVM). Not a test; run by hand like
 * {@link io.bootswarm.common.manifest.SplitterThroughput}, with the class name
 * {@code io.bootswarm.common.wire.PeerWireServerThroughput [depth]}.
 */
public final class PeerWireServerThroughput {

    public static void main(String[] args) throws Exception {
        int pieceSize = 256 * 1024;
        int pieces = 1024; // 256 MiB
        int depth = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        byte[] data = new byte[pieceSize];
        new Random(1).nextBytes(data);
        PieceSet all = PieceSet.full(pieces);
        ServedSwarm swarm = new ServedSwarm() {
            @Override
            public int pieceCount() {
                return pieces;
            }

            @Override
            public int pieceLength(int piece) {
                return pieceSize;
            }

            @Override
            public PieceSet available() {
                return all;
            }

            @Override
            public void readBlock(int piece, int begin, byte[] dst, int length) {
                System.arraycopy(data, begin, dst, 0, length);
            }
        };
        SwarmId id = SwarmId.of(new byte[20]);
        try (PeerWireServer server = new PeerWireServer(new PeerWireServer.Settings(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4, Duration.ofSeconds(5),
                Duration.ofSeconds(30)), s -> Optional.of(swarm), new byte[20], PeerAccess.OPEN).start()) {
            for (int round = 0; round < 5; round++) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    s.setTcpNoDelay(true);
                    var in = new BufferedInputStream(s.getInputStream(), 256 * 1024);
                    PeerWireWriter out = new PeerWireWriter(s.getOutputStream());
                    out.writeHandshake(new Handshake(new byte[8], id, new byte[20]));
                    out.write(PeerMessage.INTERESTED);
                    out.flush();
                    PeerWireReader.readHandshake(in);
                    PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(pieces));
                    reader.read(); // bitfield
                    reader.read(); // unchoke
                    int blocksPerPiece = pieceSize / WireLimits.BLOCK_LENGTH;
                    int total = pieces * blocksPerPiece;
                    long t0 = System.nanoTime();
                    int sent = 0;
                    int received = 0;
                    while (received < total) {
                        while (sent < total && sent - received < depth) {
                            out.write(new PeerMessage.Request(sent / blocksPerPiece,
                                    (sent % blocksPerPiece) * WireLimits.BLOCK_LENGTH, WireLimits.BLOCK_LENGTH));
                            sent++;
                        }
                        out.flush();
                        reader.read();
                        received++;
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("depth %d: %.0f MB/s (%d blocks in %.2f s)%n", depth,
                            (double) total * WireLimits.BLOCK_LENGTH / 1e6 / secs, total, secs);
                }
            }
        }
    }
}
