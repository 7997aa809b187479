package io.bootswarm.allocator.api;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/**
 * Body of {@code POST /api/v1/what-if}: an allocation problem, given either as one record per
 * swarm ({@code swarms}) or column-wise ({@code swarmIds}, {@code remainingBytes},
 * {@code peerUploadRates}, optional {@code popularity}, all of one length), not both.
 */
@Schema(name = "WhatIf", description = "A problem to solve without applying it: u_s, a strategy, and the swarms, "
        + "either as `swarms` records or as columns (`swarmIds`, `remainingBytes`, `peerUploadRates`, "
        + "optionally `popularity`), not both.")
public record WhatIfRequest(
        @Schema(description = "u_s, bytes per second (>= 0).", example = "100000000") Double seedUpload,
        @Schema(description = "ISO, CROSS_EQU, CROSS_PROP, CROSS_OPT or EXACT; the current strategy if absent.",
                nullable = true, example = "CROSS_OPT") String strategy,
        @Schema(description = "The swarms, one record each.", nullable = true) List<Swarm> swarms,
        @Schema(description = "Column form: swarm ids.", nullable = true) List<String> swarmIds,
        @Schema(description = "Column form: R^i per swarm, bytes.", nullable = true) double[] remainingBytes,
        @Schema(description = "Column form: P^i per swarm, bytes per second.", nullable = true) double[] peerUploadRates,
        @Schema(description = "Column form: popularity per swarm (Cross-Prop); remaining bytes if absent.",
                nullable = true) double[] popularity) {

    /**
     * One swarm.
     *
     * @param imageId its image, for ISO (equal split per image); the swarm is its own image if absent
     */
    @Schema(name = "WhatIfSwarm")
    public record Swarm(
            @Schema(description = "Distinct id.", example = "6b2f0c4de1a95f3b7c80e2d41f6a9b35") String swarmId,
            @Schema(description = "Its image, for ISO; the swarm is its own image if absent.", nullable = true)
            String imageId,
            @Schema(description = "R^i, bytes (>= 0).") Double remainingBytes,
            @Schema(description = "P^i, bytes per second (>= 0).") Double peerUploadRate,
            @Schema(description = "Peers still downloading (Cross-Prop's weight; default 0).", nullable = true)
            Double popularity) {
    }
}
