package io.bootswarm.tracker.launch;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/** Key of a preheat's host row. */
@Embeddable
class PreheatHostKey implements Serializable {

    @Column(name = "preheat_id", nullable = false)
    private UUID preheatId;

    @Column(name = "host", nullable = false)
    private String host;

    protected PreheatHostKey() {
    }

    PreheatHostKey(UUID preheatId, String host) {
        this.preheatId = preheatId;
        this.host = host;
    }

    UUID preheatId() {
        return preheatId;
    }

    String host() {
        return host;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreheatHostKey k && k.preheatId.equals(preheatId) && k.host.equals(host);
    }

    @Override
    public int hashCode() {
        return Objects.hash(preheatId, host);
    }
}
