package io.bootswarm.tracker.hosts;

import io.bootswarm.common.security.Caller;
import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/** Host registration, heartbeat and lookup. */
@RestController
@RequestMapping("/api/v1/hosts")
@Tag(name = "Hosts", description = "node agents register their host here and heartbeat")
class HostController {

    private final HostService hosts;
    private final HostIdentityProperties identity;

    HostController(HostService hosts, HostIdentityProperties identity) {
        this.hosts = hosts;
        this.identity = identity;
    }

    private void requireHost(Authentication caller, String host) {
        Caller who = Caller.of(caller);
        if (identity.agentIdentity() == HostIdentityProperties.AgentIdentity.PER_HOST) {
            who.requireHost(host);
        }
    }

    @PostMapping
    @Operation(summary = "Register a host",
            description = "Inserts the host or updates its addresses. Registering counts as a heartbeat.")
    @ApiResponse(responseCode = "200", description = "the host as registered")
    @ApiResponse(responseCode = "400", description = "invalid registration")
    @ApiResponse(responseCode = "403", description = "the caller's token speaks for another host")
    HostView register(@Valid @RequestBody HostRegistration body, Authentication caller) {
        requireHost(caller, body.name());
        return hosts.register(body.name(), body.apiUrl(), body.peerHost(), body.peerPort());
    }

    @PostMapping("/{name}/heartbeat")
    @Operation(summary = "Heartbeat a host",
            description = "A host that has not heartbeated for bootswarm.tracker.host-timeout (15 s by default) is DOWN. "
                    + "404 means the tracker does not know the host: the agent registers again.")
    @ApiResponse(responseCode = "204", description = "recorded")
    @ApiResponse(responseCode = "404", description = "no such host: register it")
    @ApiResponse(responseCode = "403", description = "the caller's token speaks for another host")
    ResponseEntity<Void> heartbeat(@Parameter(description = "host name") @PathVariable
                                   @Pattern(regexp = Patterns.HOST_NAME, message = Patterns.HOST_NAME_MESSAGE) String name,
                                   Authentication caller) {
        requireHost(caller, name);
        hosts.heartbeat(name);
        return ResponseEntity.noContent().build();
    }

    @GetMapping
    @Operation(summary = "List hosts", description = "All registered hosts with their UP/DOWN state, by name.")
    List<HostView> list() {
        return hosts.list();
    }

    @GetMapping("/{name}")
    @Operation(summary = "Get one host")
    @ApiResponse(responseCode = "200", description = "the host")
    @ApiResponse(responseCode = "404", description = "no such host")
    HostView get(@Parameter(description = "host name") @PathVariable String name) {
        return hosts.get(name);
    }
}
