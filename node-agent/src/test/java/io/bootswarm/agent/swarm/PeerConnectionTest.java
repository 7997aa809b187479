package io.bootswarm.agent.swarm;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.wire.Fetching;
import io.bootswarm.common.wire.PieceUnavailableException;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One download connection against a {@link StandInPeer} over loopback: the request budget it takes from
 * the peer's BEP 10 {@code reqq}, and what it does when its reader fails.
 */
class PeerConnectionTest {

    final ManualClock clock = new ManualClock();
    final List<AutoCloseable> closing = new ArrayList<>();
    final byte[] image = SwarmExchangeTest.image(10, 12);
    final Manifest manifest;

    PeerConnectionTest() throws IOException {
        manifest = SwarmExchangeTest.manifest(image);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    StandInPeer peer() throws IOException {
        StandInPeer p = new StandInPeer(manifest, image);
        closing.add(p);
        return p;
    }

    PeerConnection open(StandInPeer peer, Runnable onChange, int maxRequests) throws IOException {
        PeerConnection c = PeerConnection.open(peer.peer(true), manifest.swarmId(), "-BS0100-conntest0001".getBytes(),
                1, manifest.pieceCount(), Duration.ofSeconds(5), onChange, true, RateLimiter.UNLIMITED, null,
                maxRequests, clock);
        closing.add(c);
        return c;
    }

    @Test
    void theBudgetIsThePeersReqqCappedByOursAnd250WhenItNamesNone() {
        assertThat(PeerConnection.budget(null, 500)).isEqualTo(250);
        assertThat(PeerConnection.budget(0L, 500)).isEqualTo(250);
        assertThat(PeerConnection.budget(1024L, 500)).isEqualTo(500);
        assertThat(PeerConnection.budget(64L, 500)).isEqualTo(64);
        assertThat(PeerConnection.budget(null, 100)).isEqualTo(100);
    }

    @Test
    void aConnectionTakesItsBudgetFromThePeersExtendedHandshakeAndSendsOnlyThatManyBlockRequests() throws Exception {
        StandInPeer peer = peer();
        peer.limitRequests(5);
        PeerConnection c = open(peer, () -> {
        }, 500);
        await().until(() -> !c.isChoked() && c.has(1));
        assertThat(c.budget()).isEqualTo(5);
        assertThat(peer.theirReqq()).containsExactly(500L);

        CompletableFuture<byte[]> piece = c.requestPiece(1, manifest.pieceLength(1)); // 16 blocks
        await().until(() -> peer.maxOutstanding() == 5);
        assertThat(c.outstandingBlocks()).isEqualTo(5);
        assertThat(c.queuedBlocks()).isEqualTo(11);
        assertThat(c.hasRoomFor(1)).isFalse();

        peer.serveBlocks(1, 0, 1, 2, 3, 4);
        await().until(() -> c.outstandingBlocks() == 5 && c.queuedBlocks() == 6);
        peer.serveBlocks(1, 5, 6, 7, 8, 9);
        await().until(() -> c.queuedBlocks() == 1);
        peer.serveBlocks(1, 10, 11, 12, 13, 14);
        await().until(() -> c.queuedBlocks() == 0 && c.outstandingBlocks() == 1);
        peer.serveBlocks(1, 15);
        assertThat(piece.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(java.util.Arrays.copyOfRange(image, (int) manifest.pieceOffset(1),
                (int) manifest.pieceOffset(2)));
        assertThat(peer.overBudget()).isZero();
        assertThat(peer.maxOutstanding()).isEqualTo(5);
        assertThat(c.outstandingBlocks()).isZero();
        assertThat(c.piecesDelivered()).isEqualTo(1);
    }

    /**
     * BEP 54: a peer withdraws a piece it announced (its cache evicted it). The request for it fails as
     * unavailable, not as a broken connection: the piece is no longer counted as the peer's, its block requests
     * are released, and the connection stays open for the other pieces.
     */
    @Test
    void anLtDontHaveClearsThePieceAndFailsItsRequestAsUnavailableKeepingTheConnection() throws Exception {
        StandInPeer peer = peer();
        PeerConnection c = open(peer, () -> {
        }, 500);
        await().until(() -> !c.isChoked() && c.has(1) && c.hasEverything());
        CompletableFuture<byte[]> piece = c.requestPiece(1, manifest.pieceLength(1));
        await().until(() -> peer.requests(1, true) == 1);

        assertThat(peer.donthave(1)).as("the connection asked for lt_donthave").isEqualTo(1);

        await().until(piece::isDone);
        assertThat(piece.exceptionNow()).isInstanceOf(PieceUnavailableException.class);
        assertThat(c.has(1)).isFalse();
        assertThat(c.hasEverything()).isFalse();
        assertThat(c.has(2)).isTrue();
        assertThat(c.isOpen()).isTrue();
        assertThat(c.outstandingBlocks()).isZero();
        await().until(() -> peer.cancels(1, true) == 1);
    }

    /**
     * A block that came on another connection is cancelled here, and a BEP 6 peer answers the cancel with
     * {@code reject request}. That reject is no sign that the peer lost the piece: the rest of the request is still
     * served here, and the piece stays the peer's. (Taken as one, it withdrew the request and cleared the piece: in the
     * endgame, where two peers are asked for the same blocks, a host could lose both sources of a piece that way and
     * wait a piece timeout for another.)
     */
    @Test
    void aRejectAnsweringOurCancelOfABlockThatCameElsewhereKeepsTheRequestAndThePiece() throws Exception {
        StandInPeer first = peer();
        StandInPeer second = peer();
        first.rejectCancels();
        second.rejectCancels();
        PeerConnection here = open(first, () -> {
        }, 500);
        PeerConnection elsewhere = open(second, () -> {
        }, 500);
        await().until(() -> !here.isChoked() && here.has(1) && !elsewhere.isChoked() && elsewhere.has(1));
        PieceAssembly assembly = new PieceAssembly(1, manifest.pieceLength(1));
        int last = assembly.blocks - 1;
        CompletableFuture<byte[]> whole = here.requestBlocksIfRoom(assembly, assembly.missing());
        CompletableFuture<byte[]> lastBlock = elsewhere.requestBlocksIfRoom(assembly, new int[]{last});
        await().until(() -> first.outstandingBlocks(1) == assembly.blocks && second.outstandingBlocks(1) == 1);

        second.serveAskedSoFar(1);
        await().until(() -> first.rejected() > 0); // the cancel of the last block, answered
        first.serveAskedSoFar(1);

        assertThat(whole.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(java.util.Arrays.copyOfRange(image,
                (int) manifest.pieceOffset(1), (int) manifest.pieceOffset(2)));
        assertThat(lastBlock).isCompleted();
        assertThat(here.has(1)).isTrue();
        assertThat(first.rejected()).isEqualTo(1);
        assertThat(first.blocksSent(1)).isEqualTo(assembly.blocks - 1);
        assertThat(here.outstandingBlocks()).isZero();
    }

    /**
     * A request moved off a slow peer (a piece timeout) is cancelled there, and when the peer is the only source it is
     * asked of the same connection again at once. The peer wire server answers the cancels with {@code reject request}
     * only when its writer is free again (it waited at a rate limiter with a block), so the rejects arrive after the
     * blocks were asked for again. They answer the cancels: the request stays, the piece stays the peer's, and the
     * blocks then served complete it. (Taken as the peer's answer to the new request, they cleared the piece from the
     * seed's set: in bin/fleet, with the seed the one source, six NBD reads then failed with EIO at their deadline.)
     */
    @Test
    void rejectsAnsweringCancelsThatArriveAfterTheBlocksWereAskedForAgainKeepTheRequestAndThePiece() throws Exception {
        StandInPeer peer = peer();
        peer.holdCancelRejects();
        PeerConnection c = open(peer, () -> {
        }, 500);
        await().until(() -> !c.isChoked() && c.has(1));
        int blocks = new PieceAssembly(1, manifest.pieceLength(1)).blocks;
        CompletableFuture<byte[]> first = c.requestPiece(1, manifest.pieceLength(1));
        await().until(() -> peer.outstandingBlocks(1) == blocks);

        assertThat(c.moveAll()).isEqualTo(1);
        await().until(() -> peer.heldCancelRejects() == blocks);
        assertThat(first).isCompletedExceptionally();
        CompletableFuture<byte[]> again = c.requestPiece(1, manifest.pieceLength(1));
        await().until(() -> peer.outstandingBlocks(1) == blocks);
        assertThat(peer.releaseCancelRejects()).isEqualTo(blocks);
        peer.serveAskedSoFar(1); // after the rejects, on the same socket

        assertThat(again.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(java.util.Arrays.copyOfRange(image,
                (int) manifest.pieceOffset(1), (int) manifest.pieceOffset(2)));
        assertThat(c.has(1)).isTrue();
        assertThat(c.hasEverything()).isTrue();
        assertThat(c.outstandingBlocks()).isZero();
    }

    /**
     * BEP 3: a choke discards the requests outstanding, and the peer drops (BEP 6: rejects, and a reject while
     * choked is ignored) a request that comes while it chokes us. A connection chosen by a fetch while it was
     * unchoked and asked after its choke arrived has no room: nothing is sent, the fetch asks another source at once
     * (before, the request went out and waited a piece timeout for a block that never came; in the lab that is a
     * read's whole demand deadline). Once unchoked, the connection takes requests again.
     */
    @Test
    void aRequestMadeAfterTheChokeArrivedFindsNoRoomAndIsNotSent() throws Exception {
        StandInPeer peer = peer();
        PeerConnection c = open(peer, () -> {
        }, 500);
        await().until(() -> !c.isChoked() && c.has(1) && c.has(2));

        peer.choke();
        await().until(c::isChoked);
        PieceAssembly a = new PieceAssembly(1, manifest.pieceLength(1));
        assertThat(c.hasRoomFor(a.blocks)).isFalse();
        assertThat(c.requestBlocksIfRoom(a, a.missing())).as("no request taken while choked").isNull();
        CompletableFuture<byte[]> whole = c.requestPiece(1, manifest.pieceLength(1));
        assertThat(whole).as("failed on the spot, not left waiting for a block").isCompletedExceptionally();
        assertThat(whole.exceptionNow()).isInstanceOf(IOException.class).hasMessageContaining("choked");
        assertThat(c.outstandingBlocks()).isZero();
        assertThat(c.outstandingPieces()).isZero();

        peer.unchoke();
        await().until(() -> !c.isChoked());
        assertThat(c.hasRoomFor(a.blocks)).isTrue();
        PieceAssembly b = new PieceAssembly(2, manifest.pieceLength(2));
        CompletableFuture<byte[]> other = c.requestBlocksIfRoom(b, b.missing());
        assertThat(other).isNotNull();
        await().until(() -> peer.requests(2, true) == 1);
        assertThat(peer.droppedWhileChoked()).as("nothing was sent while choked").isZero();
        assertThat(peer.requests(1, true)).isZero();
        peer.serve(2);
        assertThat(other.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(java.util.Arrays.copyOfRange(image,
                (int) manifest.pieceOffset(2), (int) manifest.pieceOffset(3)));
    }

    /**
     * {@code bs_fetching}: the pieces the peer says it is fetching are known as such until it says it stopped or
     * sends {@code have} for them.
     */
    @Test
    void bsFetchingMarksWhatThePeerIsFetchingUntilItStopsOrHasIt() throws Exception {
        StandInPeer peer = peer();
        peer.lack(1, 2);
        PeerConnection c = open(peer, () -> {
        }, 500);
        await().until(() -> !c.isChoked() && c.has(3) && peer.askedForFetching());
        assertThat(c.has(1)).isFalse();

        assertThat(peer.sendFetching(Fetching.message(PeerConnection.FETCHING_ID, List.of(
                new Fetching.Change(1, true), new Fetching.Change(2, true))).payload())).isEqualTo(1);
        await().until(() -> c.fetchingMessages() == 1);
        assertThat(c.isFetching(1)).isTrue();
        assertThat(c.isFetching(2)).isTrue();
        assertThat(c.isFetching(3)).isFalse();

        peer.sendFetching(Fetching.message(PeerConnection.FETCHING_ID, List.of(new Fetching.Change(2, false)))
                .payload());
        await().until(() -> c.fetchingMessages() == 2);
        assertThat(c.isFetching(2)).isFalse();
        assertThat(c.isFetching(1)).isTrue();

        peer.have(1);
        await().until(() -> c.has(1));
        assertThat(c.isFetching(1)).isFalse();
        assertThat(c.isOpen()).isTrue();
    }

    /** A malformed {@code bs_fetching} is a protocol error: the connection closes and fails what was outstanding. */
    @Test
    void aMalformedBsFetchingClosesTheConnection() throws Exception {
        for (byte[] bad : List.of(new byte[]{0, 0, 1}, new byte[0],
                Fetching.message(1, List.of(new Fetching.Change(manifest.pieceCount(), true))).payload())) {
            StandInPeer peer = peer();
            PeerConnection c = open(peer, () -> {
            }, 500);
            await().until(() -> !c.isChoked() && c.has(3) && peer.askedForFetching());
            CompletableFuture<byte[]> piece = c.requestPiece(3, manifest.pieceLength(3));
            await().until(() -> peer.requests(3, true) == 1);

            peer.sendFetching(bad);

            await().until(() -> !c.isOpen());
            await().until(piece::isDone);
            assertThat(piece.exceptionNow()).isInstanceOf(IOException.class);
            assertThat(c.fetchingMessages()).isZero();
        }
    }

    @Test
    void aRuntimeExceptionInTheReaderClosesTheConnectionAndFailsWhatWasOutstanding() throws Exception {
        StandInPeer peer = peer();
        AtomicBoolean failing = new AtomicBoolean();
        PeerConnection c = open(peer, () -> {
            if (failing.get()) {
                throw new IllegalStateException("listener failed");
            }
        }, 500);
        await().until(() -> !c.isChoked() && c.has(1));
        CompletableFuture<byte[]> piece = c.requestPiece(1, manifest.pieceLength(1));
        await().until(() -> peer.requests(1, true) == 1);

        failing.set(true);
        peer.have(2);
        await().until(piece::isDone);
        assertThat(piece.exceptionNow()).isInstanceOf(IOException.class).hasMessageContaining("listener failed");
        assertThat(c.isOpen()).isFalse();
        assertThat(c.outstandingBlocks()).isZero();
    }
}
