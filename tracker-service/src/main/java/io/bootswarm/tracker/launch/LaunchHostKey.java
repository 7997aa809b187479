package io.bootswarm.tracker.launch;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/** Key of a launch's host row. */
@Embeddable
class LaunchHostKey implements Serializable {

    @Column(name = "launch_id", nullable = false)
    private UUID launchId;

    @Column(name = "host", nullable = false)
    private String host;

    protected LaunchHostKey() {
    }

    LaunchHostKey(UUID launchId, String host) {
        this.launchId = launchId;
        this.host = host;
    }

    UUID launchId() {
        return launchId;
    }

    String host() {
        return host;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LaunchHostKey k && k.launchId.equals(launchId) && k.host.equals(host);
    }

    @Override
    public int hashCode() {
        return Objects.hash(launchId, host);
    }
}
