package io.bootswarm.allocator.api;

import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocator.plan.Planner;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Arrays;
import java.util.List;

/** {@code /api/v1/strategy}: which strategy makes the plans. */
@RestController
@RequestMapping(path = "/api/v1/strategy", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "strategy", description = "The strategy that splits the seed's upload.")
class StrategyController {

    private final Planner planner;

    StrategyController(Planner planner) {
        this.planner = planner;
    }

    /** The body of {@code PUT}. */
    @Schema(name = "StrategyChange")
    record Change(@Schema(description = "ISO, CROSS_EQU, CROSS_PROP, CROSS_OPT or EXACT (case and '-' vs '_' "
            + "do not matter: 'cross-opt' works)", example = "CROSS_OPT") String strategy) {
    }

    /** The current strategy. */
    @Schema(name = "StrategyView")
    record View(@Schema(example = "CROSS_OPT") String strategy, @Schema(example = "Cross-Opt") String label,
                @Schema(description = "Every strategy there is.") List<String> available) {

        static View of(Strategy s) {
            return new View(s.name(), s.label(), Arrays.stream(Strategy.values()).map(Strategy::name).toList());
        }
    }

    @GetMapping
    @Operation(summary = "The current strategy")
    View get() {
        return View.of(planner.strategy());
    }

    @PutMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Switch the strategy", description = "ISO (isolated swarms: one per image, equal split), "
            + "CROSS_EQU (equal over the piece groups), CROSS_PROP (by popularity), CROSS_OPT (Wu et al.'s "
            + "subgradient method) or EXACT (the exact min-max optimum). Kept across restarts; the next plan is made "
            + "at once.", responses = {
            @ApiResponse(responseCode = "200", description = "The strategy now."),
            @ApiResponse(responseCode = "400", description = "Unknown or missing strategy.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    View put(@RequestBody Change change) {
        planner.setStrategy(parse(change.strategy()));
        return View.of(planner.strategy());
    }

    /** @throws ProblemException 400 unknown-strategy */
    static Strategy parse(String name) {
        try {
            return Strategy.parse(name);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("unknown-strategy", e.getMessage()).with("strategy", name);
        }
    }
}
