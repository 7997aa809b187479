package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.net.URI;
import java.util.UUID;

/** The fleet launch API for orchestrators. */
@RestController
@RequestMapping("/api/v1/launches")
@Tag(name = "Launches", description = "run an image on a set of hosts and watch each host's progress")
class LaunchController {

    private final LaunchService launches;

    LaunchController(LaunchService launches) {
        this.launches = launches;
    }

    @PostMapping
    @Operation(summary = "Launch an image on hosts",
            description = "Checks that every host is registered and UP and that seed-service knows the image, then "
                    + "records the launch and sends each host's agent a START command over Kafka. Nothing is "
                    + "recorded or sent when a check fails. With an Idempotency-Key, repeating the same request "
                    + "returns the launch it created (200) and sends nothing; the same key with a different "
                    + "request is a 409.")
    @ApiResponse(responseCode = "201", description = "created",
            headers = @Header(name = "Location", description = "URL of the launch"))
    @ApiResponse(responseCode = "200", description = "the launch this Idempotency-Key already created")
    @ApiResponse(responseCode = "400", description = "malformed body, empty or duplicate hosts, bad key")
    @ApiResponse(responseCode = "404", description = "unknown hosts (listed in 'hosts') or unknown image")
    @ApiResponse(responseCode = "409", description = "hosts DOWN (listed in 'hosts'), or key reused for another request")
    @ApiResponse(responseCode = "503", description = "seed-service cannot be asked about the image")
    ResponseEntity<LaunchView> create(
            @Parameter(description = "Client key making the request safe to retry (1-255 visible ASCII characters)")
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
            @Valid @RequestBody LaunchRequest body) {
        LaunchService.Created c = launches.create(body, idempotencyKey);
        URI location = ServletUriComponentsBuilder.fromCurrentContextPath().path("/api/v1/launches/{id}")
                .buildAndExpand(c.launch().id()).toUri();
        return ResponseEntity.status(c.replayed() ? HttpStatus.OK : HttpStatus.CREATED).location(location)
                .body(c.launch());
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get a launch", description = "Overall state and, per host, state, NBD URIs and progress.")
    @ApiResponse(responseCode = "200", description = "the launch")
    @ApiResponse(responseCode = "404", description = "no such launch")
    LaunchView get(@PathVariable UUID id) {
        return launches.get(id);
    }

    @GetMapping
    @Operation(summary = "List launches", description = "Most recent first, paged; with `imageId` only that "
            + "image's; with `live=true` only those not asked to stop that have a host PENDING, PREPARING or READY "
            + "(seed-service asks this before it deletes an image).")
    LaunchPage list(@Parameter(description = "page number, from 0") @RequestParam(defaultValue = "0") int page,
                    @Parameter(description = "page size, 1-100") @RequestParam(defaultValue = "20") int size,
                    @Parameter(description = "only launches of this image") @RequestParam(required = false)
                    UUID imageId,
                    @Parameter(description = "only live launches") @RequestParam(defaultValue = "false") boolean live) {
        return launches.list(page, size, imageId, live);
    }

    @PostMapping("/stops")
    @Operation(summary = "Stop the live launches of an image",
            description = "Sends every host of every live launch of the image a STOP command carrying the reason; "
                    + "agents log it and report STOPPED with the reason as the host's detail. seed-service calls "
                    + "it (reason `image-deleted`) when an admin forces the deletion of an image that is in use. "
                    + "Launches already asked to stop are left alone, so repeating it stops only what became "
                    + "live since.")
    @ApiResponse(responseCode = "200", description = "the launches asked to stop (maybe none)")
    @ApiResponse(responseCode = "400", description = "no image id, or a reason that is not a short code")
    StoppedLaunches stopLive(@Valid @RequestBody StopRequest body) {
        return launches.stopLive(body.imageId(), body.reason());
    }

    @DeleteMapping("/{id}")
    @Operation(summary = "Stop a launch",
            description = "Sends every host a STOP command over Kafka; hosts report STOPPED as they tear down. "
                    + "Repeating it sends nothing more.")
    @ApiResponse(responseCode = "202", description = "stop requested; the launch as it stands")
    @ApiResponse(responseCode = "404", description = "no such launch")
    ResponseEntity<LaunchView> stop(@PathVariable UUID id) {
        return ResponseEntity.accepted().body(launches.stop(id));
    }
}
