package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;

/**
 * One host's part of a launch, as its agent last reported it.
 *
 * @param host          the host
 * @param state         PENDING until the agent reports, then PREPARING, READY, FAILED or STOPPED
 * @param nbdUri        {@code nbd://host:port/export} once READY
 * @param nbdUnixUri    {@code nbd+unix:///export?socket=path} once READY, when the agent exports on a Unix socket
 * @param piecesPresent verified non-zero pieces on the host
 * @param piecesTotal   non-zero pieces in the image
 * @param bytesFetched  bytes the host fetched for this launch
 * @param detail        why it failed; while PENDING, why it waits (e.g. {@code waiting for Kafka: ...}); or null
 * @param updatedAt     when this row last changed
 */
@Schema(description = "One host's part of a launch")
record LaunchHostView(
        @Schema(example = "host-a") String host,
        HostLaunchState state,
        @Schema(example = "nbd://10.0.1.7:10809/3f1c...", nullable = true) String nbdUri,
        @Schema(example = "nbd+unix:///3f1c...?socket=/run/bootswarm/nbd.sock", nullable = true) String nbdUnixUri,
        int piecesPresent,
        int piecesTotal,
        long bytesFetched,
        @Schema(nullable = true) String detail,
        Instant updatedAt) {
}
