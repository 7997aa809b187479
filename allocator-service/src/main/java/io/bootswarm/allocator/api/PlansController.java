package io.bootswarm.allocator.api;

import io.bootswarm.allocator.AllocatorProperties;
import io.bootswarm.allocator.plan.PlanStore;
import io.bootswarm.allocator.plan.Planner;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.util.UUID;

/** {@code /api/v1/plans}: the current plan and the history. */
@RestController
@RequestMapping(path = "/api/v1/plans", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "plans", description = "The seed's upload split: the current plan, why, and the history.")
class PlansController {

    private final Planner planner;
    private final PlanStore store;
    private final AllocatorProperties properties;
    private final Clock clock;

    PlansController(Planner planner, PlanStore store, AllocatorProperties properties, Clock clock) {
        this.planner = planner;
        this.store = store;
        this.properties = properties;
        this.clock = clock;
    }

    @GetMapping("/current")
    @Operation(summary = "The current plan", description = "The newest plan (after a restart, the last stored one "
            + "until the next is made), with its inputs and per swarm R, P, the seed's rate and the predicted time. "
            + "`fresh` is false once it has expired (no host reports, or the allocator stopped planning).", responses = {
            @ApiResponse(responseCode = "200", description = "The plan."),
            @ApiResponse(responseCode = "404", description = "No plan has been made yet.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    PlanView current() {
        return planner.current().map(p -> PlanView.of(p, clock.instant())).orElseThrow(() ->
                ProblemException.notFound("no-plan", "no plan has been made yet: no host has reported"));
    }

    @GetMapping
    @Operation(summary = "The plan history", description = "Plans newest first, without their swarms.", responses = {
            @ApiResponse(responseCode = "200", description = "One page."),
            @ApiResponse(responseCode = "400", description = "Bad page or size.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    PlanHistory history(@Parameter(description = "Page number, from 0.") @RequestParam(defaultValue = "0") int page,
                        @Parameter(description = "Plans per page, 1 to bootswarm.allocator.max-page-size (100).")
                        @RequestParam(defaultValue = "20") int size) {
        if (page < 0 || size < 1 || size > properties.maxPageSize()) {
            throw ProblemException.badRequest("bad-page", "page must be >= 0 and size in [1, "
                    + properties.maxPageSize() + "], got page " + page + ", size " + size);
        }
        return new PlanHistory(page, size, store.count(), store.page(page, size).stream()
                .map(PlanHistory.Entry::of).toList());
    }

    @GetMapping("/{id}")
    @Operation(summary = "A plan of the history", responses = {
            @ApiResponse(responseCode = "200", description = "The plan."),
            @ApiResponse(responseCode = "404", description = "No such plan (or pruned).", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    PlanView get(@PathVariable UUID id) {
        return store.find(id).map(p -> PlanView.of(p, clock.instant())).orElseThrow(() ->
                ProblemException.notFound("plan-not-found", "there is no plan " + id).with("planId", id));
    }
}
