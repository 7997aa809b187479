package io.bootswarm.seed.serving;

import io.bootswarm.seed.catalog.UploadStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes the seed has served per image since it started: the {@code uploadedBytes} of the image
 * view and the Micrometer counter {@code bootswarm.seed.uploaded.bytes{image=<name>}}.
 */
@Component
public class UploadLedger implements UploadStatistics {

    /** The counter's name. */
    public static final String METER = "bootswarm.seed.uploaded.bytes";

    private record Account(LongAdder bytes, FunctionCounter meter) {
    }

    private final MeterRegistry meters;
    private final Map<UUID, Account> accounts = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();

    UploadLedger(MeterRegistry meters) {
        this.meters = meters;
    }

    /** Opens (or finds) the account of an image, registering its counter. */
    LongAdder account(UUID imageId, String name) {
        return accounts.computeIfAbsent(imageId, id -> {
            LongAdder bytes = new LongAdder();
            FunctionCounter meter = FunctionCounter.builder(METER, bytes, LongAdder::sum)
                    .description("bytes of an image served to peers over the peer wire")
                    .baseUnit("bytes")
                    .tag("image", name)
                    .register(meters);
            return new Account(bytes, meter);
        }).bytes();
    }

    void add(LongAdder account, int bytes) {
        account.add(bytes);
        total.add(bytes);
    }

    /** Drops the account and counter of a deleted image. */
    void forget(UUID imageId) {
        Account a = accounts.remove(imageId);
        if (a != null) {
            meters.remove(a.meter());
        }
    }

    @Override
    public long uploadedBytes(UUID imageId) {
        Account a = accounts.get(imageId);
        return a == null ? 0 : a.bytes().sum();
    }

    /** Bytes served across all images since start. */
    public long totalUploadedBytes() {
        return total.sum();
    }
}
