package io.bootswarm.allocator.api;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocation.SwarmDemand;
import io.bootswarm.allocator.AllocatorProperties;
import io.bootswarm.allocator.plan.Planner;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code POST /api/v1/what-if}: solves a posted problem, applies nothing. */
@RestController
@Tag(name = "what-if", description = "Solve a posted allocation problem without applying it.")
class WhatIfController {

    private final Planner planner;
    private final AllocatorProperties properties;
    private final Clock clock;

    WhatIfController(Planner planner, AllocatorProperties properties, Clock clock) {
        this.planner = planner;
        this.properties = properties;
        this.clock = clock;
    }

    @PostMapping(path = "/api/v1/what-if", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Solve a problem without applying it", description = "Splits `seedUpload` over the posted "
            + "swarms with the strategy (the current one if absent) and answers the plan: per swarm the seed's rate and "
            + "the predicted remaining time, M, its lower bound and gap. Nothing is stored or published.", responses = {
            @ApiResponse(responseCode = "200", description = "The plan."),
            @ApiResponse(responseCode = "400", description = "A malformed problem: no swarms, negative, NaN or infinite "
                    + "values, duplicate or missing ids, columns of different lengths, both forms or neither "
                    + "(`invalid-problem`), an unknown strategy (`unknown-strategy`), more swarms than "
                    + "bootswarm.allocator.max-what-if-swarms (`too-many-swarms`), unreadable JSON "
                    + "(`malformed-body`).", content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))})
    PlanView whatIf(@RequestBody WhatIfRequest request) {
        Strategy strategy = request.strategy() == null ? planner.strategy() : StrategyController.parse(request.strategy());
        if (request.seedUpload() == null) {
            throw invalid("seedUpload (u_s, bytes per second) is required");
        }
        AllocationProblem problem;
        List<String> images;
        try {
            if (request.swarms() != null) {
                if (request.swarmIds() != null || request.remainingBytes() != null || request.peerUploadRates() != null
                        || request.popularity() != null) {
                    throw invalid("give the swarms either as records (swarms) or as columns (swarmIds, ...), not both");
                }
                checkCount(request.swarms().size());
                List<SwarmDemand> demands = new ArrayList<>(request.swarms().size());
                images = new ArrayList<>();
                Set<String> ids = new HashSet<>();
                for (WhatIfRequest.Swarm s : request.swarms()) {
                    if (s == null) {
                        throw invalid("a swarm is null");
                    }
                    // the problem builder would add up a repeated swarm's demands; a posted problem names each once
                    if (s.swarmId() != null && !ids.add(s.swarmId())) {
                        throw invalid("duplicate swarm id '" + s.swarmId() + "'");
                    }
                    demands.add(new SwarmDemand(s.swarmId(), s.imageId(), required(s.remainingBytes(), "remainingBytes",
                            s.swarmId()), required(s.peerUploadRate(), "peerUploadRate", s.swarmId()),
                            s.popularity() == null ? 0 : s.popularity()));
                    images.add(s.imageId());
                }
                problem = AllocationProblem.of(demands, request.seedUpload());
            } else {
                if (request.swarmIds() == null || request.remainingBytes() == null || request.peerUploadRates() == null) {
                    throw invalid("the swarms are missing: give swarms, or swarmIds, remainingBytes and peerUploadRates");
                }
                checkCount(request.swarmIds().size());
                problem = request.popularity() == null
                        ? AllocationProblem.of(request.swarmIds(), request.remainingBytes(), request.peerUploadRates(),
                        request.seedUpload())
                        : AllocationProblem.of(request.swarmIds(), request.remainingBytes(), request.peerUploadRates(),
                        request.popularity(), request.seedUpload());
                images = null;
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            throw invalid(e.getMessage());
        }
        AllocationSolution plan = strategy.solver().solve(problem);
        List<PlanView.Swarm> swarms = new ArrayList<>(plan.size());
        for (int i = 0; i < plan.size(); i++) {
            String image = images == null ? null : images.get(i);
            swarms.add(new PlanView.Swarm(plan.swarmId(i), image == null ? List.of() : List.of(image),
                    problem.remainingBytes(i), problem.peerUploadRate(i), problem.popularity(i), plan.serverRate(i),
                    PlanView.finite(plan.remainingTime(i))));
        }
        return new PlanView(null, clock.instant(), strategy.name(), strategy.label(), null, problem.serverUploadRate(),
                null, false, PlanView.finite(plan.maxRemainingTime()), PlanView.finite(plan.lowerBound()),
                plan.relativeGap(), plan.iterations(), plan.allocationResidual(), plan.solveNanos() / 1e6,
                new PlanView.Inputs(null, plan.size(), problem.totalRemainingBytes(), sum(problem)), swarms);
    }

    private void checkCount(int n) {
        if (n > properties.maxWhatIfSwarms()) {
            throw ProblemException.badRequest("too-many-swarms", n + " swarms; a what-if takes at most "
                    + properties.maxWhatIfSwarms()).with("limit", properties.maxWhatIfSwarms());
        }
    }

    private static double required(Double v, String what, String swarm) {
        if (v == null) {
            throw invalid(what + " of swarm '" + swarm + "' is missing");
        }
        return v;
    }

    private static double sum(AllocationProblem p) {
        double s = 0;
        for (int i = 0; i < p.size(); i++) {
            s += p.peerUploadRate(i);
        }
        return s;
    }

    private static ProblemException invalid(String detail) {
        return ProblemException.badRequest("invalid-problem", detail);
    }
}
