package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;

/**
 * One host's part of a preheat, as its agent last reported it.
 *
 * @param host         the host
 * @param state        PENDING until the agent reports, then RUNNING, and DONE, CANCELLED or FAILED
 * @param piecesDone   pieces of the preheat's set on the host, verified
 * @param piecesTotal  pieces in the preheat's set (0 until the agent knows it)
 * @param bytesFetched bytes the host fetched for this preheat
 * @param detail       why it failed, or null
 * @param updatedAt    when this row last changed
 */
@Schema(description = "One host's part of a preheat")
record PreheatHostView(@Schema(example = "host-a") String host, HostPreheatState state, int piecesDone,
                       int piecesTotal, long bytesFetched, @Schema(nullable = true) String detail,
                       Instant updatedAt) {
}
