package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.CacheQuota;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PieceUnavailableException;
import io.bootswarm.common.wire.RateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The store-backed view of an image that a host serves, for its own images and (cross-image) for
 * images it only shares pieces with: the same pieces are served either way, all-zero pieces included.
 */
class ServedPiecesTest {

    static final int PIECE = SwarmExchangeTest.PIECE;

    @TempDir
    Path dir;

    final List<AutoCloseable> closing = new ArrayList<>();
    /** 10 pieces; 0 and 5 all zeros. */
    final byte[] image = SwarmExchangeTest.image(10, 21);
    final Manifest manifest;

    ServedPiecesTest() throws IOException {
        manifest = SwarmExchangeTest.manifest(image);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    PieceStore store() throws IOException {
        PieceStore s = PieceStore.open(dir.resolve("store-" + closing.size()), PIECE, Duration.ofSeconds(1));
        closing.add(s);
        return s;
    }

    byte[] piece(byte[] of, int p) {
        return Arrays.copyOfRange(of, p * PIECE, (p + 1) * PIECE);
    }

    void put(PieceStore store, Manifest m, byte[] of, int p) throws IOException {
        store.put(VerifiedPiece.verify(m.hash(p), piece(of, p), PIECE).orElseThrow());
    }

    @Test
    void holdsTheZeroPiecesAndWhatTheStoreHoldsAndGrowsAsPiecesArrive() throws IOException {
        PieceStore store = store();
        put(store, manifest, image, 3);
        List<Integer> told = new ArrayList<>();
        ServedPieces served = new ServedPieces(manifest, store, told::add);

        assertThat(IntStream.range(0, 10).filter(served::has).boxed().toList()).containsExactly(0, 3, 5);
        assertThat(served.piecesPresent()).as("zero pieces not counted").isEqualTo(1);
        assertThat(served.bytesLeft()).isEqualTo(7L * PIECE);

        put(store, manifest, image, 4);
        put(store, manifest, image, 6);
        assertThat(served.pieceArrived(4)).isTrue();
        assertThat(served.pieceArrived(4)).isFalse();
        served.markHeld(6);
        assertThat(told).as("told once, and not of a piece only marked held").containsExactly(4);
        assertThat(served.available().cardinality()).isEqualTo(5);
        assertThat(served.bytesLeft()).isEqualTo(5L * PIECE);
    }

    /**
     * Issue 12: a piece the store evicted leaves what is served (and what the tracker is told is left grows),
     * the swarm is told once; a piece reported arrived after it was evicted again is not served, and reading
     * an evicted piece's block is {@link PieceUnavailableException} (the request is rejected), not a failure.
     */
    @Test
    void anEvictedPieceIsNoLongerServedAndItsWithdrawalToldOnce() throws IOException {
        PieceStore store = PieceStore.open(dir.resolve("quota"), PIECE, Duration.ofSeconds(1),
                CacheQuota.of(PIECE, 0, Duration.ZERO), InstantSource.system());
        closing.add(store);
        put(store, manifest, image, 3);
        put(store, manifest, image, 4);
        List<Integer> gone = new ArrayList<>();
        ServedPieces served = new ServedPieces(manifest, store, p -> {
        }, gone::add);
        store.addEvictionListener(h -> {
            for (int p = 0; p < manifest.pieceCount(); p++) {
                if (manifest.hash(p).equals(h)) {
                    served.pieceEvicted(p);
                }
            }
        });

        assertThat(store.evict()).isEqualTo(2);

        assertThat(gone).containsExactlyInAnyOrder(3, 4);
        assertThat(served.has(3)).isFalse();
        assertThat(served.has(5)).as("a zero piece is always held").isTrue();
        assertThat(served.bytesLeft()).isEqualTo(8L * PIECE);
        assertThat(served.pieceEvicted(3)).as("told once").isFalse();
        assertThat(served.pieceArrived(4)).as("arrived, but evicted since").isFalse();
        assertThat(served.has(4)).isFalse();
        assertThatThrownBy(() -> served.readBlock(3, 0, new byte[100], 100))
                .isInstanceOf(PieceUnavailableException.class);
    }

    @Test
    void readsZeroPiecesAsZerosAndOthersFromTheStoreCountingUploads() throws IOException {
        PieceStore store = store();
        put(store, manifest, image, 3);
        ServedPieces served = new ServedPieces(manifest, store, p -> {
        });
        byte[] dst = new byte[100];
        Arrays.fill(dst, (byte) 7);

        served.readBlock(5, 1000, dst, 100);
        assertThat(dst).containsOnly(0);
        served.readBlock(3, 16384, dst, 100);
        assertThat(dst).isEqualTo(Arrays.copyOfRange(image, 3 * PIECE + 16384, 3 * PIECE + 16484));
        served.uploaded(100);
        served.uploaded(100);

        assertThat(served.uploadedByPiece().get(5)).isEqualTo(100);
        assertThat(served.uploadedByPiece().get(3)).isEqualTo(100);
        assertThat(served.bytesUploaded()).isEqualTo(200);
    }

    /**
     * A host running image A serves a peer of image B, which shares pieces with A: the peer sees the
     * shared pieces the host holds and B's zero pieces, and gets a zero piece as zeros (a cross-image
     * swarm used to leave zero pieces out, and refused a request for one as a protocol error).
     */
    @Test
    void aPeerOfAnotherImageSeesTheSharedPiecesAndTheZeroPiecesAndGetsAZeroPiece() throws Exception {
        byte[] b = image.clone();
        new java.util.Random(3).nextBytes(b); // B: all its own pieces but 2 (shared with A) and 0, 5 (zeros)
        System.arraycopy(image, 2 * PIECE, b, 2 * PIECE, PIECE);
        Arrays.fill(b, 0, PIECE, (byte) 0);
        Arrays.fill(b, 5 * PIECE, 6 * PIECE, (byte) 0);
        Manifest mb = SwarmExchangeTest.manifest(b);
        PieceStore store = store();
        put(store, manifest, image, 2);
        put(store, manifest, image, 3);
        SwarmManager host = new SwarmManager(store, a -> new Announcer.Result(Duration.ofHours(1), List.of()),
                SwarmSettings.defaults(), new InetSocketAddress("127.0.0.1", 0),
                id -> id.equals(mb.swarmId()) ? Optional.of(mb) : Optional.empty(), PeerAccess.OPEN,
                new SimpleMeterRegistry(), MonotonicClock.system()).start();
        closing.add(host);
        host.session(manifest);

        PeerConnection peerOfB = PeerConnection.open(new Peer("127.0.0.1", host.peerPort(), false), mb.swarmId(),
                "-BS0100-peerofimageb".getBytes(), 1, mb.pieceCount(), Duration.ofSeconds(5), () -> {
                }, true, RateLimiter.UNLIMITED, null, 500, MonotonicClock.system());
        closing.add(peerOfB);
        await().until(() -> peerOfB.has(2) && !peerOfB.isChoked());
        assertThat(IntStream.range(0, 10).filter(peerOfB::has).boxed().toList()).containsExactly(0, 2, 5);

        Instant deadline = MonotonicClock.system().instant().plusSeconds(30);
        assertThat(peerOfB.fetch(5, PIECE, Duration.ofSeconds(30), deadline)).containsOnly(0);
        assertThat(peerOfB.fetch(2, PIECE, Duration.ofSeconds(30), deadline)).isEqualTo(piece(b, 2));
        await().until(() -> host.crossUploads().get(mb.swarmId()) == 2L * PIECE);
    }

    /**
     * Handshakes naming made-up swarms: the host asks the resolver about each and remembers the
     * unknown ones for a retry period, but only up to {@link SwarmManager#MAX_UNRESOLVED}; past it,
     * more made-up swarms are refused without a lookup and nothing more is remembered.
     */
    @Test
    void madeUpSwarmIdsFillABoundedTableAndTheRestAreRefusedWithoutALookup() throws Exception {
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        SwarmManager host = new SwarmManager(store(), a -> new Announcer.Result(Duration.ofHours(1), List.of()),
                SwarmSettings.defaults(), new InetSocketAddress("127.0.0.1", 0), id -> {
                    lookups.incrementAndGet();
                    return Optional.empty();
                }, PeerAccess.OPEN, meters, new io.bootswarm.testing.ManualClock()).start();
        closing.add(host);
        java.util.Random random = new java.util.Random(7);
        int flood = SwarmManager.MAX_UNRESOLVED + 6;
        for (int i = 0; i < flood; i++) {
            byte[] id = new byte[SwarmId.BYTES];
            random.nextBytes(id);
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", host.peerPort())) {
                PeerWireWriter w = new PeerWireWriter(s.getOutputStream());
                w.writeHandshake(new Handshake(Handshake.ourReserved(), SwarmId.of(id), "-BS0100-madeupswarms".getBytes()));
                w.flush();
                assertThat(io.bootswarm.testing.Sockets.closedByOtherSide(s, s.getInputStream(), Duration.ofSeconds(30)))
                        .as("connection %d naming an unknown swarm is closed", i).isTrue();
            }
        }
        assertThat(lookups).hasValue(SwarmManager.MAX_UNRESOLVED);
        assertThat(meters.get("bootswarm.agent.peer.unknown-swarms").gauge().value())
                .isEqualTo(SwarmManager.MAX_UNRESOLVED);
        assertThat(meters.get("bootswarm.agent.peer.unknown-swarm.refused").counter().count()).isEqualTo(6);
    }
}
