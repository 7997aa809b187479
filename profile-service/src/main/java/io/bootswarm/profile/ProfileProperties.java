package io.bootswarm.profile;

import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.profile.model.TraceLimits;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;
import java.util.List;

/**
 * {@code bootswarm.profile.*}: profile-service's own settings. Every value has a default, so an empty
 * configuration runs.
 *
 * @param seedUrl              base URL of seed-service, asked for an uploaded trace's image (piece size, size),
 *                             or a comma-separated list of seed replicas' ({@link #seedUrls()}): a call goes to
 *                             one and moves on to the next when it fails
 * @param seedConnectTimeout   TCP connect timeout for calls to seed-service (1 s)
 * @param seedReadTimeout      response timeout for calls to seed-service (3 s); resilience4j's time limiter
 *                             bounds each attempt as well
 * @param maxUploadSize        largest trace upload body accepted; a bigger one is answered 413 (32 MB)
 * @param maxReadLength        longest single read a trace may hold (64 MB; NBD clients send at most 32 MiB)
 * @param maxTraceDuration     latest read time a trace may hold, since the disk was opened (7 days)
 * @param maxPiecesPerRun      most distinct pieces one run may touch (1 Mi: a 256 GiB image at 256 KiB)
 * @param maxChunksPerTrace    most Kafka chunks one trace may have (4096)
 * @param maxReadsPerChunk     most reads one Kafka chunk may hold (65536; agents send at most 8192)
 * @param pendingTraceMaxAge   an incomplete Kafka trace whose latest chunk arrived longer ago than this is
 *                             purged (1 h)
 * @param housekeepingInterval how often incomplete traces are purged (1 min)
 * @param maxRowsPerPage       most profile rows one detail call returns; without a {@code size} parameter a
 *                             call returns this many, so profiles up to this size come whole (100000)
 * @param maxPageSize          largest page of profiles or runs one list call returns (500)
 */
@ConfigurationProperties("bootswarm.profile")
public record ProfileProperties(
        @DefaultValue("http://localhost:8081") String seedUrl,
        @DefaultValue("1s") Duration seedConnectTimeout,
        @DefaultValue("3s") Duration seedReadTimeout,
        @DefaultValue("32MB") DataSize maxUploadSize,
        @DefaultValue("64MB") DataSize maxReadLength,
        @DefaultValue("7d") Duration maxTraceDuration,
        @DefaultValue("1048576") int maxPiecesPerRun,
        @DefaultValue("4096") int maxChunksPerTrace,
        @DefaultValue("65536") int maxReadsPerChunk,
        @DefaultValue("1h") Duration pendingTraceMaxAge,
        @DefaultValue("1m") Duration housekeepingInterval,
        @DefaultValue("100000") int maxRowsPerPage,
        @DefaultValue("500") int maxPageSize) {

    public ProfileProperties {
        RemoteReplicas.baseUrls(SEED_URL, seedUrl == null ? "" : seedUrl);
        positive(seedConnectTimeout, "seed-connect-timeout");
        positive(seedReadTimeout, "seed-read-timeout");
        positive(maxTraceDuration, "max-trace-duration");
        positive(pendingTraceMaxAge, "pending-trace-max-age");
        positive(housekeepingInterval, "housekeeping-interval");
        if (maxUploadSize.toBytes() <= 0 || maxReadLength.toBytes() <= 0) {
            throw new IllegalArgumentException("bootswarm.profile.max-upload-size and max-read-length must be positive");
        }
        if (maxPiecesPerRun <= 0 || maxChunksPerTrace <= 0 || maxReadsPerChunk <= 0 || maxRowsPerPage <= 0
                || maxPageSize <= 0) {
            throw new IllegalArgumentException("bootswarm.profile.max-* counts must be positive");
        }
    }

    private static final String SEED_URL = "bootswarm.profile.seed-url";

    /** The seed replicas' base URLs, in the order they are tried. */
    public List<String> seedUrls() {
        return RemoteReplicas.baseUrls(SEED_URL, seedUrl);
    }

    /** The bounds every trace's reads are checked against, whatever its source. */
    public TraceLimits traceLimits() {
        return new TraceLimits(maxReadLength.toBytes(), maxTraceDuration.toNanos() / 1000, maxPiecesPerRun);
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("bootswarm.profile." + name + " must be positive, got " + d);
        }
    }
}
