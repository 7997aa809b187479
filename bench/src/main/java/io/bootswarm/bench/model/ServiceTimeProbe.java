package io.bootswarm.bench.model;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.common.wire.WireLimits;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Measures the model's RTT and Q on this machine with the real code (VMTorrent §4.3.1 measured
 * them on its prototype):
 * <ul>
 *   <li><b>RTT</b>: the median round trip of one byte over loopback TCP (a plain echo server, so
 *       no serving work is in it);</li>
 *   <li><b>Q</b>: the median time from sending one 16 KiB block request to a real
 *       {@link PeerWireServer} (common's, the one agents and the seed serve with, no rate limit,
 *       an urgent connection so that it is never choked) to receiving the block, less RTT: the
 *       server's work to read, frame and write a request;</li>
 *   <li><b>Q under load</b>: the same while {@code k} other connections keep requesting whole
 *       256 KiB pieces as fast as they are served, i.e. the congestion term of W_cs(n) (§3.2.1):
 *       on 2 cores the server's threads then share the CPU with the load's.</li>
 * </ul>
 * Also the time for a whole piece (16 pipelined block requests) when idle.
 */
public final class ServiceTimeProbe {

    private static final int PIECE = 256 * 1024;
    private static final int BLOCK = WireLimits.BLOCK_LENGTH;

    /** One measurement: medians and 90th percentiles in seconds. */
    public record Result(double rtt, double firstBlock, double firstBlockP90, double piece, int loadConnections) {
        /** Q = first block − RTT. */
        public double service() {
            return Math.max(0, firstBlock - rtt);
        }
    }

    private ServiceTimeProbe() {
    }

    /** Median loopback TCP round trip of one byte, seconds. */
    public static double loopbackRtt(int samples) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread echo = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    int b;
                    while ((b = in.read()) >= 0) {
                        out.write(b);
                        out.flush();
                    }
                } catch (IOException ignored) {
                    // probe over
                }
            });
            try (Socket c = new Socket()) {
                c.setTcpNoDelay(true);
                c.connect(server.getLocalSocketAddress());
                InputStream in = c.getInputStream();
                OutputStream out = c.getOutputStream();
                double[] t = new double[samples];
                for (int i = -200; i < samples; i++) { // the first 200 warm up
                    long start = System.nanoTime();
                    out.write(1);
                    out.flush();
                    if (in.read() < 0) {
                        throw new IOException("echo closed");
                    }
                    if (i >= 0) {
                        t[i] = (System.nanoTime() - start) / 1e9;
                    }
                }
                return quantile(t, 0.5);
            } finally {
                echo.interrupt();
            }
        }
    }

    /** Measures RTT, and first-block and piece times against a real server with {@code load} busy connections. */
    public static Result measure(int samples, int load) throws IOException, InterruptedException {
        double rtt = loopbackRtt(samples);
        byte[] data = new byte[PIECE];
        new java.util.Random(1).nextBytes(data);
        SwarmId id = SwarmId.of(new byte[20]);
        PieceSet all = PieceSet.full(1);
        ServedSwarm swarm = new ServedSwarm() {
            @Override
            public int pieceCount() {
                return 1;
            }

            @Override
            public int pieceLength(int piece) {
                return PIECE;
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
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (PeerWireServer server = new PeerWireServer(PeerWireServer.Settings.defaults(bind),
                sid -> sid.equals(id) ? Optional.of(swarm) : Optional.empty(), peerId(0), PeerAccess.OPEN).start()) {
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> loaders = new ArrayList<>();
            for (int i = 0; i < load; i++) {
                int n = i + 1;
                loaders.add(Thread.ofVirtual().start(() -> {
                    try (Client c = new Client(server.address(), id, n)) {
                        while (!stop.get()) {
                            c.piece();
                        }
                    } catch (IOException | RuntimeException e) {
                        // the server closed: probe over
                    }
                }));
            }
            try (Client probe = new Client(server.address(), id, 999)) {
                if (load > 0) {
                    Thread.sleep(300); // let the load reach its pace
                }
                double[] first = new double[samples];
                double[] piece = new double[Math.max(1, samples / 4)];
                for (int i = -100; i < samples; i++) {
                    long start = System.nanoTime();
                    probe.block();
                    if (i >= 0) {
                        first[i] = (System.nanoTime() - start) / 1e9;
                    }
                }
                for (int i = -20; i < piece.length; i++) {
                    long start = System.nanoTime();
                    probe.piece();
                    if (i >= 0) {
                        piece[i] = (System.nanoTime() - start) / 1e9;
                    }
                }
                return new Result(rtt, quantile(first, 0.5), quantile(first, 0.9), quantile(piece, 0.5), load);
            } finally {
                stop.set(true);
                for (Thread t : loaders) {
                    t.join(2000);
                }
            }
        }
    }

    private static byte[] peerId(int n) {
        byte[] id = new byte[20];
        id[19] = (byte) n;
        id[18] = (byte) (n >> 8);
        return id;
    }

    static double quantile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(q * s.length))];
    }

    /** A minimal downloading peer: handshake, urgent extended handshake, interested, then requests. */
    private static final class Client implements AutoCloseable {
        private final Socket socket = new Socket();
        private final PeerWireWriter out;
        private final PeerWireReader in;

        Client(InetSocketAddress server, SwarmId swarm, int n) throws IOException {
            socket.setTcpNoDelay(true);
            socket.connect(server);
            out = new PeerWireWriter(socket.getOutputStream());
            out.writeHandshake(new Handshake(Handshake.ourReserved(), swarm, peerId(n)));
            out.flush();
            InputStream raw = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            PeerWireReader.readHandshake(raw);
            in = new PeerWireReader(raw, WireLimits.forPieces(1));
            out.write(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(), "urgent", 1L))));
            out.write(PeerMessage.INTERESTED);
            out.flush();
            while (!(in.read() instanceof PeerMessage.Unchoke)) {
                // bitfield, extended handshake
            }
        }

        void block() throws IOException {
            out.write(new PeerMessage.Request(0, 0, BLOCK));
            out.flush();
            awaitBlocks(1);
        }

        void piece() throws IOException {
            for (int begin = 0; begin < PIECE; begin += BLOCK) {
                out.write(new PeerMessage.Request(0, begin, BLOCK));
            }
            out.flush();
            awaitBlocks(PIECE / BLOCK);
        }

        private void awaitBlocks(int count) throws IOException {
            int got = 0;
            while (got < count) {
                if (in.read() instanceof PeerMessage.Piece) {
                    got++;
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Prints RTT and Q idle and under load: {@code ServiceTimeProbe [samples]}. */
    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        System.out.println("load_connections,rtt_us,first_block_us,first_block_p90_us,q_us,piece_us");
        for (int load : new int[] {0, 1, 4, 16, 64}) {
            Result r = measure(samples, load);
            System.out.printf(java.util.Locale.ROOT, "%d,%.1f,%.1f,%.1f,%.1f,%.1f%n", load, r.rtt() * 1e6,
                    r.firstBlock() * 1e6, r.firstBlockP90() * 1e6, r.service() * 1e6, r.piece() * 1e6);
        }
    }
}
