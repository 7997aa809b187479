package io.bootswarm.agent.launch;

import io.bootswarm.agent.disk.PieceSource;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The piece source of a disk reopened before the swarm exists (the agent's early start): a read of
 * a piece the host does not hold waits until {@link #attach} hands over the disk's swarm session,
 * for at most {@code wait}; reads of pieces the host holds never get here.
 */
final class DeferredPieceSource implements PieceSource {

    private final CompletableFuture<PieceSource> target = new CompletableFuture<>();
    private final Duration wait;

    DeferredPieceSource(Duration wait) {
        this.wait = wait;
    }

    void attach(PieceSource source) {
        target.complete(source);
    }

    @Override
    public void require(int piece) throws IOException {
        PieceSource source;
        try {
            source = target.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("piece " + piece + " is not on this host and the agent's swarm did not start "
                    + "within " + wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for the agent's swarm", e);
        } catch (ExecutionException e) {
            throw new IOException("the agent's swarm did not start", e.getCause());
        }
        source.require(piece);
    }

    /** Before {@link #attach} there is no swarm to fetch ahead through: the hint is dropped. */
    @Override
    public CompletableFuture<Void> prefetch(int piece) {
        PieceSource source = target.getNow(null);
        return source == null ? CompletableFuture.completedFuture(null) : source.prefetch(piece);
    }
}
