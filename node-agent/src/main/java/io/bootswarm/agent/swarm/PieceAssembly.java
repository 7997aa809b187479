package io.bootswarm.agent.swarm;

import io.bootswarm.common.wire.WireLimits;

import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The blocks (16 KiB) of one piece as they arrive, into one buffer, from one connection or several: each
 * connection is asked for a subset of the blocks ({@link PeerConnection#requestBlocksIfRoom}), and a block counts
 * once, whichever connection delivered it first. When a block arrives, the other connections that asked for it are
 * told ({@link PeerConnection#settledElsewhere}), so that they cancel their request for it. The assembly remembers
 * which peer delivered each block, so that a piece that fails verification is blamed on its peer only when a single
 * peer delivered all of it.
 */
final class PieceAssembly {

    final int piece;
    final int blocks;
    private final byte[] data;
    /** Blocks received (guarded by this). */
    private final BitSet received;
    private int receivedCount;
    /** Who delivered each block (guarded by this). */
    private final Peer[] sourceOf;
    /** The requests for blocks of this piece, on every connection asked. */
    private final List<Registered> parts = new CopyOnWriteArrayList<>();
    /** Completes with the piece's (unverified) bytes once every block is in. */
    final CompletableFuture<byte[]> done = new CompletableFuture<>();

    private record Registered(PeerConnection connection, PeerConnection.PendingPiece part) {
    }

    PieceAssembly(int piece, int length) {
        this.piece = piece;
        this.data = new byte[length];
        this.blocks = (length + WireLimits.BLOCK_LENGTH - 1) / WireLimits.BLOCK_LENGTH;
        this.received = new BitSet(blocks);
        this.sourceOf = new Peer[blocks];
    }

    int length() {
        return data.length;
    }

    int blockLength(int index) {
        return Math.min(WireLimits.BLOCK_LENGTH, data.length - index * WireLimits.BLOCK_LENGTH);
    }

    void register(PeerConnection c, PeerConnection.PendingPiece part) {
        parts.add(new Registered(c, part));
    }

    void unregister(PeerConnection.PendingPiece part) {
        parts.removeIf(r -> r.part() == part);
    }

    /**
     * Files block {@code index} delivered over connection {@code via}: false if it was in already (a copy from
     * another connection came first). The other connections asked for it are told.
     */
    boolean accept(int index, byte[] block, PeerConnection via) {
        boolean complete;
        synchronized (this) {
            if (received.get(index)) {
                return false;
            }
            System.arraycopy(block, 0, data, index * WireLimits.BLOCK_LENGTH, block.length);
            received.set(index);
            sourceOf[index] = via.peer();
            complete = ++receivedCount == blocks;
        }
        for (Registered r : parts) {
            if (r.connection() != via) {
                r.connection().settledElsewhere(r.part(), index);
            }
        }
        if (complete) {
            done.complete(data);
        }
        return true;
    }

    boolean isReceived(int index) {
        synchronized (this) {
            return received.get(index);
        }
    }

    /** The blocks not received yet, in order. */
    int[] missing() {
        synchronized (this) {
            int[] out = new int[blocks - receivedCount];
            int n = 0;
            for (int i = received.nextClearBit(0); i < blocks; i = received.nextClearBit(i + 1)) {
                out[n++] = i;
            }
            return out;
        }
    }

    int receivedCount() {
        synchronized (this) {
            return receivedCount;
        }
    }

    /** The peer that delivered most blocks so far; null if none arrived. */
    Peer mainSource() {
        java.util.Map<Peer, Integer> counts = new java.util.HashMap<>();
        synchronized (this) {
            for (Peer p : sourceOf) {
                if (p != null) {
                    counts.merge(p, 1, Integer::sum);
                }
            }
        }
        return counts.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                .map(java.util.Map.Entry::getKey).orElse(null);
    }

    /** The peers ({@code host:port}) that delivered blocks so far. */
    Set<String> sources() {
        Set<String> out = new TreeSet<>();
        synchronized (this) {
            for (Peer p : sourceOf) {
                if (p != null) {
                    out.add(PeerDirectory.key(p));
                }
            }
        }
        return out;
    }
}
