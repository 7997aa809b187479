package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.PreheatStatus;
import io.bootswarm.common.jpa.AssignedIdEntity;
import jakarta.persistence.Column;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Table;

import java.time.Instant;

/** One host's part of a preheat, as stored; never leaves the service. */
@Entity
@Table(name = "preheat_hosts")
class PreheatHostEntity extends AssignedIdEntity<PreheatHostKey> {

    @EmbeddedId
    private PreheatHostKey id;

    @Column(name = "position", nullable = false)
    private int position;

    @Enumerated(EnumType.STRING)
    @Column(name = "state", nullable = false)
    private HostPreheatState state;

    /** Sequence of the last applied report; -1 before the first. */
    @Column(name = "sequence", nullable = false)
    private long sequence;

    @Column(name = "pieces_done", nullable = false)
    private int piecesDone;

    @Column(name = "pieces_total", nullable = false)
    private int piecesTotal;

    @Column(name = "bytes_fetched", nullable = false)
    private long bytesFetched;

    @Column(name = "detail")
    private String detail;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    protected PreheatHostEntity() {
    }

    PreheatHostEntity(PreheatHostKey id, int position, Instant now) {
        this.id = id;
        this.position = position;
        this.state = HostPreheatState.PENDING;
        this.sequence = -1;
        this.updatedAt = now;
    }

    @Override
    public PreheatHostKey getId() {
        return id;
    }

    /** Applies a report if it is newer than the last one applied; returns whether it was. */
    boolean apply(PreheatStatus s, Instant now) {
        if (s.sequence() <= sequence) {
            return false;
        }
        sequence = s.sequence();
        state = HostPreheatState.valueOf(s.state().name());
        piecesDone = s.piecesDone();
        piecesTotal = s.piecesTotal();
        bytesFetched = s.bytesFetched();
        detail = s.detail();
        updatedAt = now;
        return true;
    }

    String host() {
        return id.host();
    }

    HostPreheatState state() {
        return state;
    }

    long sequence() {
        return sequence;
    }

    PreheatHostView view() {
        return new PreheatHostView(id.host(), state, piecesDone, piecesTotal, bytesFetched, detail, updatedAt);
    }
}
