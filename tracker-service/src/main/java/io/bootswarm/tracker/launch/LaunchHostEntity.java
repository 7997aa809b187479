package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Table;

import java.time.Instant;

/** One host's part of a launch, as stored; never leaves the service. */
@Entity
@Table(name = "launch_hosts")
class LaunchHostEntity extends AssignedIdEntity<LaunchHostKey> {

    @EmbeddedId
    private LaunchHostKey id;

    @Column(name = "position", nullable = false)
    private int position;

    @Enumerated(EnumType.STRING)
    @Column(name = "state", nullable = false)
    private HostLaunchState state;

    /** Sequence of the last applied status report; -1 before the first. */
    @Column(name = "sequence", nullable = false)
    private long sequence;

    @Column(name = "nbd_uri")
    private String nbdUri;

    @Column(name = "nbd_unix_uri")
    private String nbdUnixUri;

    @Column(name = "pieces_present", nullable = false)
    private int piecesPresent;

    @Column(name = "pieces_total", nullable = false)
    private int piecesTotal;

    @Column(name = "bytes_fetched", nullable = false)
    private long bytesFetched;

    @Column(name = "detail")
    private String detail;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    protected LaunchHostEntity() {
    }

    LaunchHostEntity(LaunchHostKey id, int position, Instant now) {
        this.id = id;
        this.position = position;
        this.state = HostLaunchState.PENDING;
        this.sequence = -1;
        this.updatedAt = now;
    }

    @Override
    public LaunchHostKey getId() {
        return id;
    }

    /**
     * Applies a status report if it is newer than the last one applied.
     *
     * @return whether it was applied
     */
    boolean apply(LaunchStatus s, Instant now) {
        if (s.sequence() <= sequence) {
            return false;
        }
        sequence = s.sequence();
        state = HostLaunchState.valueOf(s.state().name());
        nbdUri = s.nbdUri();
        nbdUnixUri = s.nbdUnixUri();
        piecesPresent = s.piecesPresent();
        piecesTotal = s.piecesTotal();
        bytesFetched = s.bytesFetched();
        detail = s.detail();
        updatedAt = now;
        return true;
    }

    String host() {
        return id.host();
    }

    int position() {
        return position;
    }

    HostLaunchState state() {
        return state;
    }

    long sequence() {
        return sequence;
    }

    LaunchHostView view() {
        return new LaunchHostView(id.host(), state, nbdUri, nbdUnixUri, piecesPresent, piecesTotal, bytesFetched,
                detail, updatedAt);
    }
}
