package io.bootswarm.tracker.seeds;

import io.bootswarm.tracker.net.AddressPolicy;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/** Seed registration and the list of live seeds. */
@RestController
@RequestMapping("/api/v1/seeds")
@Tag(name = "Seeds", description = "seed-service instances register here; every swarm includes them")
class SeedController {

    private final SeedRegistry registry;
    private final AddressPolicy addresses;

    SeedController(SeedRegistry registry, AddressPolicy addresses) {
        this.registry = registry;
        this.addresses = addresses;
    }

    @PostMapping
    @Operation(summary = "Register or heartbeat a seed",
            description = "A seed sends this at start and then periodically; it is forgotten when it has not for "
                    + "bootswarm.tracker.seed-ttl (20 s by default). Agents dial the seed at the source address "
                    + "of this request; the peerHost it names is kept only when it calls from "
                    + "bootswarm.tracker.announce.trusted-networks.")
    @ApiResponse(responseCode = "204", description = "registered")
    @ApiResponse(responseCode = "400", description = "invalid registration")
    ResponseEntity<Void> register(@Valid @RequestBody SeedRegistration body, HttpServletRequest request) {
        String peerHost = addresses.peerHost(body.peerHost(), request.getRemoteAddr(),
                AddressPolicy.Endpoint.SEED_REGISTRATION);
        registry.register(body.id(), peerHost, body.peerPort(), body.apiUrl());
        return ResponseEntity.noContent().build();
    }

    @GetMapping
    @Operation(summary = "List the live seeds", description = "Most recently seen first.")
    List<Seed> list() {
        return registry.live();
    }
}
