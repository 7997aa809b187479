package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.util.UUID;

/** The fleet preheat API for orchestrators: warm hosts' piece caches with an image before launching it. */
@RestController
@RequestMapping("/api/v1/preheats")
@Tag(name = "Preheats", description = "fetch an image's pieces into hosts' caches ahead of a launch")
class PreheatController {

    private final PreheatService preheats;

    PreheatController(PreheatService preheats) {
        this.preheats = preheats;
    }

    @PostMapping
    @Operation(summary = "Preheat an image on hosts",
            description = "Checks that every host is registered and UP and that seed-service knows the image, then "
                    + "records the preheat and sends each host's agent a START over Kafka. The agent fetches the "
                    + "pieces of the image's access profile (scope `profile`) or every non-zero piece (`all`) "
                    + "through the swarm in the background, at most bootswarm.agent.preheat.max-bytes-per-second, "
                    + "and reports its progress. Nothing is recorded or sent when a check fails.")
    @ApiResponse(responseCode = "201", description = "created",
            headers = @Header(name = "Location", description = "URL of the preheat"))
    @ApiResponse(responseCode = "400", description = "malformed body, empty or duplicate hosts, bad scope or workload")
    @ApiResponse(responseCode = "404", description = "unknown hosts (listed in 'hosts') or unknown image")
    @ApiResponse(responseCode = "409", description = "hosts DOWN (listed in 'hosts')")
    @ApiResponse(responseCode = "503", description = "seed-service cannot be asked about the image")
    ResponseEntity<PreheatView> create(@Valid @RequestBody PreheatRequest body) {
        PreheatView view = preheats.create(body);
        return ResponseEntity.created(ServletUriComponentsBuilder.fromCurrentContextPath()
                .path("/api/v1/preheats/{id}").buildAndExpand(view.id()).toUri()).body(view);
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get a preheat", description = "Per host: state, pieces done of total, bytes fetched.")
    @ApiResponse(responseCode = "200", description = "the preheat")
    @ApiResponse(responseCode = "404", description = "no such preheat")
    PreheatView get(@PathVariable UUID id) {
        return preheats.get(id);
    }

    @GetMapping
    @Operation(summary = "List preheats", description = "Most recent first, paged; with `imageId` only that image's.")
    PreheatPage list(@Parameter(description = "page number, from 0") @RequestParam(defaultValue = "0") int page,
                     @Parameter(description = "page size, 1-100") @RequestParam(defaultValue = "20") int size,
                     @Parameter(description = "only preheats of this image") @RequestParam(required = false)
                     UUID imageId) {
        return preheats.list(page, size, imageId);
    }

    @DeleteMapping("/{id}")
    @Operation(summary = "Cancel a preheat",
            description = "Sends every host not done yet a CANCEL over Kafka; they stop requesting pieces and report "
                    + "CANCELLED. The pieces already fetched stay in the hosts' caches. Repeating it sends nothing more.")
    @ApiResponse(responseCode = "202", description = "cancel requested; the preheat as it stands")
    @ApiResponse(responseCode = "404", description = "no such preheat")
    ResponseEntity<PreheatView> cancel(@PathVariable UUID id) {
        return ResponseEntity.accepted().body(preheats.cancel(id));
    }
}
