package io.bootswarm.profile.ingest;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bootswarm.profile.ingest.*}: bounds on the access traces assembled from Kafka chunks.
 *
 * @param maxReadsPerTrace most reads one trace may hold in all its chunks (2 Mi, 48 MiB once assembled; agents
 *                         record at most 1 Mi per disk by default). The total is checked as each chunk arrives,
 *                         before it is stored and long before the trace is assembled: the chunk that would
 *                         pass it is refused and the trace's stored chunks are dropped.
 */
@ConfigurationProperties("bootswarm.profile.ingest")
public record IngestProperties(@DefaultValue("2097152") int maxReadsPerTrace) {

    public IngestProperties {
        if (maxReadsPerTrace <= 0) {
            throw new IllegalArgumentException("bootswarm.profile.ingest.max-reads-per-trace must be positive, got "
                    + maxReadsPerTrace);
        }
    }
}
