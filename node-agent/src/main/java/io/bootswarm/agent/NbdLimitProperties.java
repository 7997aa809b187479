package io.bootswarm.agent;

import io.bootswarm.agent.nbd.NbdServerSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code bootswarm.agent.nbd.limits.*}: what NBD clients may hold of this agent.
 *
 * @param maxConnections      NBD connections at once; more are closed at once (default 1024)
 * @param maxRequestsInFlight requests of one connection served at once (default 128)
 * @param maxBytesInFlight    READ/WRITE payload of one connection held at once (default 64MB, at least 32MB)
 * @param maxBufferMemory     payload buffer memory of all connections together (default: a quarter of
 *                            the JVM's direct memory limit, which is -Xmx unless -XX:MaxDirectMemorySize
 *                            is set, and at least one 32MB request); at most that limit
 */
@ConfigurationProperties("bootswarm.agent.nbd.limits")
public record NbdLimitProperties(Integer maxConnections, Integer maxRequestsInFlight, DataSize maxBytesInFlight,
                                 DataSize maxBufferMemory) {

    public NbdLimitProperties {
        maxConnections = maxConnections == null ? 1024 : maxConnections;
        maxRequestsInFlight = maxRequestsInFlight == null ? 128 : maxRequestsInFlight;
        maxBytesInFlight = maxBytesInFlight == null ? DataSize.ofMegabytes(64) : maxBytesInFlight;
    }

    /**
     * {@code settings} with these limits, checked against {@code directMemoryLimit}.
     *
     * @throws IllegalStateException naming the property, if a limit is out of range
     */
    NbdServerSettings applyTo(NbdServerSettings settings, long directMemoryLimit) {
        if (maxBytesInFlight.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalStateException("bootswarm.agent.nbd.limits.max-bytes-in-flight=" + maxBytesInFlight
                    + " is more than the 2GB one connection can hold");
        }
        long buffers = maxBufferMemory != null ? maxBufferMemory.toBytes()
                : NbdServerSettings.defaultMaxBufferBytes(directMemoryLimit);
        try {
            return settings.withLimits(maxConnections, maxRequestsInFlight, (int) maxBytesInFlight.toBytes())
                    .withMaxBufferBytes(buffers).checkAgainst(directMemoryLimit);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("bootswarm.agent.nbd.limits (max-connections=" + maxConnections
                    + ", max-requests-in-flight=" + maxRequestsInFlight + ", max-bytes-in-flight=" + maxBytesInFlight
                    + ", max-buffer-memory=" + (maxBufferMemory == null ? "default " + buffers + "B" : maxBufferMemory)
                    + "): " + e.getMessage(), e);
        }
    }
}
