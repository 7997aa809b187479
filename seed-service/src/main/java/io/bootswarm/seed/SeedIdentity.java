package io.bootswarm.seed;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Who this seed is: a stable id (configured, or generated once and kept in {@code <storage>/seed-id}
 * so that a restart registers as the same seed) and the 20-byte BitTorrent peer id it uses on the
 * wire ({@code -BS0100-} and 12 random bytes, Azureus style, new each start as BEP 20 expects).
 */
@Component
public final class SeedIdentity {

    private static final Logger log = LoggerFactory.getLogger(SeedIdentity.class);
    private static final byte[] CLIENT_PREFIX = "-BS0100-".getBytes(StandardCharsets.US_ASCII);

    private final String id;
    private final byte[] peerId;

    public SeedIdentity(SeedProperties properties, Storage storage) {
        this.id = properties.id().isBlank() ? storedId(storage.root().resolve("seed-id")) : properties.id().trim();
        this.peerId = new byte[20];
        System.arraycopy(CLIENT_PREFIX, 0, peerId, 0, CLIENT_PREFIX.length);
        byte[] random = new byte[20 - CLIENT_PREFIX.length];
        new SecureRandom().nextBytes(random);
        System.arraycopy(random, 0, peerId, CLIENT_PREFIX.length, random.length);
    }

    private static String storedId(Path file) {
        try {
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
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the seed id file " + file, e);
        }
    }

    /** The seed's stable id, as registered with the tracker. */
    public String id() {
        return id;
    }

    /** The 20-byte peer id sent in peer wire handshakes. */
    public byte[] peerId() {
        return peerId.clone();
    }
}
