package io.bootswarm.seed;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Who this seed is: a stable id and the 20-byte BitTorrent peer id it uses on the wire ({@code -BS0100-}
 * and 12 random bytes, Azureus style, new each start as BEP 20 expects).
 *
 * <p>The id is {@code bootswarm.seed.id} when set. Otherwise it is the id of the first free <em>slot</em> of the
 * storage directory, so that seed replicas sharing one storage directory (a ReadWriteMany volume) register as
 * different seeds and a restarted replica registers again as one of them: slot {@code n} is the file
 * {@code seed-id} (n = 0, the file a lone seed always used) or {@code seed-id-<n>}, held through an exclusive
 * lock on {@code <file>.lock} for as long as the seed runs, its id generated once ({@code seed-<uuid>}) and kept
 * in the file. A replica that stops or dies releases its lock (the operating system drops it with the process),
 * and the next replica to start takes the lowest free slot, so the set of ids stays as small as the number of
 * replicas. The shared file system must support {@code fcntl} locks (NFSv4, CephFS, EFS do); where it does not,
 * set {@code bootswarm.seed.id} per replica.
 */
@Component
public final class SeedIdentity implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(SeedIdentity.class);
    private static final byte[] CLIENT_PREFIX = "-BS0100-".getBytes(StandardCharsets.US_ASCII);
    /** Most replicas sharing one storage directory without a configured id. */
    static final int MAX_SLOTS = 64;

    private final String id;
    private final byte[] peerId;
    private final FileChannel slotLock;

    public SeedIdentity(SeedProperties properties, Storage storage) {
        if (properties.id().isBlank()) {
            Slot slot = claimSlot(storage.root());
            this.slotLock = slot.lock();
            this.id = slot.id();
        } else {
            this.slotLock = null;
            this.id = properties.id().trim();
        }
        this.peerId = new byte[20];
        System.arraycopy(CLIENT_PREFIX, 0, peerId, 0, CLIENT_PREFIX.length);
        byte[] random = new byte[20 - CLIENT_PREFIX.length];
        new SecureRandom().nextBytes(random);
        System.arraycopy(random, 0, peerId, CLIENT_PREFIX.length, random.length);
    }

    private record Slot(String id, FileChannel lock) {
    }

    private static Slot claimSlot(Path root) {
        for (int n = 0; n < MAX_SLOTS; n++) {
            Path file = root.resolve(n == 0 ? "seed-id" : "seed-id-" + n);
            Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
            FileChannel channel = null;
            try {
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // another seed of this JVM holds it
                }
                if (lock == null) {
                    channel.close();
                    continue;
                }
                String id = storedId(file);
                log.info("seed id {} (slot {} of the storage directory, {})", id, n, file);
                return new Slot(id, channel);
            } catch (IOException e) {
                closeQuietly(channel);
                throw new UncheckedIOException("cannot claim the seed id slot " + file + " (set bootswarm.seed.id "
                        + "if the storage directory's file system has no file locks)", e);
            }
        }
        throw new IllegalStateException("all " + MAX_SLOTS + " seed id slots of " + root + " are held by running "
                + "seeds; set bootswarm.seed.id");
    }

    private static String storedId(Path file) throws IOException {
        if (Files.exists(file)) {
            String stored = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!stored.isEmpty()) {
                return stored;
            }
        }
        String fresh = "seed-" + UUID.randomUUID();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, fresh + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.info("generated seed id {} (kept in {})", fresh, file);
        return fresh;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the claim failed anyway
            }
        }
    }

    /** The seed's stable id, as registered with the tracker and recorded as the owner of its imports. */
    public String id() {
        return id;
    }

    /** The 20-byte peer id sent in peer wire handshakes. */
    public byte[] peerId() {
        return peerId.clone();
    }

    /** Releases the id's slot for the next seed to start. */
    @Override
    public void destroy() throws IOException {
        if (slotLock != null) {
            slotLock.close();
        }
    }
}
