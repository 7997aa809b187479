package io.bootswarm.agent.launch;

import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.nbd.ExportLookup;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The NBD server's exports while the agent starts: none yet (a negotiation waits, at most
 * {@code restoreWait}, instead of telling a reconnecting hypervisor that its disk does not exist),
 * then the disks reopened early ({@link EarlyDisks}), then {@link Disks}. Each is handed the same
 * {@link BlockDevice} per disk, as {@code NBD_FLAG_CAN_MULTI_CONN} requires.
 */
public final class ExportHandover implements ExportLookup {

    private final CountDownLatch ready = new CountDownLatch(1);
    private final long restoreWaitMillis;
    private volatile ExportLookup current = ExportLookup.of(Map.of());

    public ExportHandover(java.time.Duration restoreWait) {
        this.restoreWaitMillis = restoreWait.toMillis();
    }

    /** From now on the exports are {@code exports}. */
    public void serve(ExportLookup exports) {
        current = exports;
        ready.countDown();
    }

    /** From now on the exports are the disks of {@code disks}. */
    public void serve(Disks disks) {
        serve(new ExportLookup() {
            @Override
            public Optional<BlockDevice> find(String name) {
                return disks.export(name);
            }

            @Override
            public Collection<String> names() {
                return disks.exportNames();
            }
        });
    }

    @Override
    public Optional<BlockDevice> find(String name) {
        return awaitReady() ? current.find(name) : Optional.empty();
    }

    @Override
    public Collection<String> names() {
        return awaitReady() ? current.names() : List.of();
    }

    private boolean awaitReady() {
        try {
            return ready.await(restoreWaitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
