package io.bootswarm.seed.serving;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * {@code bootswarm.seed.integrity.*}: how the seed makes sure it never serves a rotten piece. Every piece
 * is checked against the manifest's SHA-256 the first time it is served after its file was opened
 * (or changed); that is always on.
 *
 * @param fileCheckInterval how often, at most, a served image file's size, modification time and identity
 *                          are compared with those its pieces were verified against; a change verifies them
 *                          all again (10 s)
 * @param scrub             also verify every piece of every image in the background, over and over (off)
 * @param scrubRate         bytes per second the scrub reads at most (8 MB: a 4 GiB image in under 9 minutes,
 *                          little next to the upload)
 * @param scrubPause        the wait between two passes of the scrub over the store (24 h)
 */
@ConfigurationProperties("bootswarm.seed.integrity")
record IntegritySettings(
        @DefaultValue("10s") Duration fileCheckInterval,
        @DefaultValue("false") boolean scrub,
        @DefaultValue("8MB") DataSize scrubRate,
        @DefaultValue("24h") Duration scrubPause) {

    IntegritySettings {
        if (fileCheckInterval.isNegative()) {
            throw new IllegalArgumentException("bootswarm.seed.integrity.file-check-interval must not be negative");
        }
        if (scrubRate.toBytes() <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.integrity.scrub-rate must be positive, got " + scrubRate);
        }
        if (scrubPause.isNegative()) {
            throw new IllegalArgumentException("bootswarm.seed.integrity.scrub-pause must not be negative");
        }
    }

    /** The defaults. */
    static IntegritySettings defaults() {
        return new IntegritySettings(Duration.ofSeconds(10), false, DataSize.ofMegabytes(8), Duration.ofHours(24));
    }
}
