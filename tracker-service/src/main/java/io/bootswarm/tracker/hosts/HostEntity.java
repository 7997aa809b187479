package io.bootswarm.tracker.hosts;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** A registered host, as stored; never leaves the service. */
@Entity
@Table(name = "hosts")
class HostEntity {

    @Id
    private String name;

    @Column(name = "api_url", nullable = false)
    private String apiUrl;

    @Column(name = "peer_host", nullable = false)
    private String peerHost;

    @Column(name = "peer_port", nullable = false)
    private int peerPort;

    @Column(name = "registered_at", nullable = false)
    private Instant registeredAt;

    @Column(name = "last_heartbeat", nullable = false)
    private Instant lastHeartbeat;

    protected HostEntity() {
    }

    String name() {
        return name;
    }

    String apiUrl() {
        return apiUrl;
    }

    String peerHost() {
        return peerHost;
    }

    int peerPort() {
        return peerPort;
    }

    Instant registeredAt() {
        return registeredAt;
    }

    Instant lastHeartbeat() {
        return lastHeartbeat;
    }
}
