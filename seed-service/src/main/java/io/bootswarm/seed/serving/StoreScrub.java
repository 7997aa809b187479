package io.bootswarm.seed.serving;

import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.seed.catalog.Catalog;
import io.bootswarm.seed.catalog.ServableImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The background scrub ({@code bootswarm.seed.integrity.scrub}, off by default): reads every piece of
 * every catalogued image at {@code scrub-rate} and checks it against the manifest, so that a piece that
 * rots after it was first verified, or before any peer asked for it, is found and withdrawn from the
 * peer wire ({@link ImageIntegrity}) before an agent asks the seed for it. Passes are
 * {@code scrub-pause} apart.
 */
@Component
class StoreScrub implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(StoreScrub.class);

    /** What one pass over the store found. */
    record Pass(int images, long pieces, long rotten) {
    }

    private final IntegritySettings settings;
    private final Catalog catalog;
    private final StoreIntegrity integrity;
    private final Object pause = new Object();
    private volatile boolean stopped;
    private Thread thread;

    StoreScrub(IntegritySettings settings, Catalog catalog, StoreIntegrity integrity) {
        this.settings = settings;
        this.catalog = catalog;
        this.integrity = integrity;
    }

    @EventListener(ApplicationReadyEvent.class)
    synchronized void start() {
        if (!settings.scrub() || thread != null || stopped) {
            return;
        }
        log.info("scrubbing the image store at {} bytes/s, passes {} apart", settings.scrubRate().toBytes(),
                settings.scrubPause());
        thread = Thread.ofPlatform().daemon().name("seed-store-scrub").start(this::run);
    }

    private void run() {
        RateLimiter limiter = RateLimiter.perSecond(settings.scrubRate().toBytes());
        try {
            while (!stopped) {
                Pass p = pass(catalog.servableImages(), catalog::pieceHashes, limiter);
                log.info("scrubbed {} image(s): {} pieces checked, {} rotten", p.images(), p.pieces(), p.rotten());
                synchronized (pause) {
                    if (!stopped) {
                        pause.wait(Math.max(1, settings.scrubPause().toMillis()));
                    }
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            log.error("the store scrub stopped", e);
        }
    }

    /**
     * One pass over {@code images} (the catalogued ones) whose manifest hashes {@code hashes} gives, reading at
     * most as fast as {@code limiter} lets it.
     */
    Pass pass(List<ServableImage> images, Function<UUID, Optional<byte[]>> hashes, RateLimiter limiter)
            throws InterruptedException {
        int scrubbed = 0;
        long pieces = 0;
        long rotten = 0;
        for (ServableImage image : images) {
            Optional<ImageIntegrity> checks = hashes.apply(image.id()).flatMap(h -> integrity.forImage(image, h));
            if (checks.isEmpty()) {
                continue;
            }
            ImageIntegrity ii = checks.get();
            ii.fileChanged();
            scrubbed++;
            try (FileChannel channel = FileChannel.open(image.file(), StandardOpenOption.READ)) {
                for (int piece = 0; piece < image.pieceCount() && !stopped; piece++) {
                    limiter.acquire((int) Math.min(image.pieceSize(), image.size() - (long) piece * image.pieceSize()),
                            false);
                    pieces++;
                    if (!ii.scrub(piece, (position, dst, length) -> readFully(channel, position, dst, length))) {
                        rotten++;
                    }
                }
            } catch (IOException e) {
                log.warn("cannot scrub image {} '{}': {}", image.id(), image.name(), e.toString());
            }
        }
        return new Pass(scrubbed, pieces, rotten);
    }

    private static void readFully(FileChannel channel, long position, byte[] dst, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(dst, 0, length);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new EOFException("file ends before byte " + (position + length));
            }
        }
    }

    @Override
    public void destroy() throws InterruptedException {
        Thread t;
        synchronized (this) {
            stopped = true;
            t = thread;
        }
        synchronized (pause) {
            pause.notifyAll();
        }
        if (t != null) {
            t.interrupt();
            t.join(10_000);
        }
    }
}
