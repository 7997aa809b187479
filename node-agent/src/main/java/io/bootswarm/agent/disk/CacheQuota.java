package io.bootswarm.agent.disk;

import java.time.Duration;

/**
 * How much disk the {@link PieceStore} may use, and how it gives space back.
 *
 * <p>When the bytes the store holds (its pieces, rounded up to whole 4 KiB blocks, plus the slots
 * evicted but not yet punched) pass {@code maxBytes}, it evicts down to {@code lowWaterBytes}, so
 * that one eviction pass makes room for many pieces rather than one. An evicted piece's slot is
 * punched {@code punchDelay} after its eviction and once no read of it is in progress: a read the
 * NBD server sends straight from the file ({@code sendfile}) holds no reference, and the delay
 * outlasts such a send by far.
 *
 * @param maxBytes      the quota ({@link Long#MAX_VALUE}: none)
 * @param lowWaterBytes what an eviction pass evicts down to; at most {@code maxBytes}
 * @param punchDelay    how long an evicted slot keeps its bytes before it is punched and reused
 */
public record CacheQuota(long maxBytes, long lowWaterBytes, Duration punchDelay) {

    public CacheQuota {
        if (maxBytes <= 0 || lowWaterBytes < 0 || lowWaterBytes > maxBytes) {
            throw new IllegalArgumentException("quota " + maxBytes + " bytes, low-water mark " + lowWaterBytes);
        }
        punchDelay = punchDelay == null || punchDelay.isNegative() ? Duration.ZERO : punchDelay;
    }

    /** No quota: the store only grows. */
    public static CacheQuota unlimited() {
        return new CacheQuota(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ZERO);
    }

    /** A quota of {@code maxBytes} evicting down to {@code lowWaterPercent} % of it. */
    public static CacheQuota of(long maxBytes, int lowWaterPercent, Duration punchDelay) {
        if (lowWaterPercent < 0 || lowWaterPercent > 100) {
            throw new IllegalArgumentException("low-water mark of " + lowWaterPercent + " %");
        }
        return new CacheQuota(maxBytes, Math.round(maxBytes * (lowWaterPercent / 100.0)), punchDelay);
    }

    public boolean limited() {
        return maxBytes != Long.MAX_VALUE;
    }
}
