package io.bootswarm.agent.launch;

import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.UUID;

/** The agent's local launch API: disks for a host-local caller (a hypervisor driver, a CSI plugin). */
@RestController
@RequestMapping("/api/v1/disks")
@Tag(name = "disks", description = "Images presented to this host's hypervisor as NBD exports")
class DiskController {

    private final Disks disks;

    DiskController(Disks disks) {
        this.disks = disks;
    }

    @PostMapping
    @Operation(summary = "Create a disk for an image",
            description = "Returns at once with the NBD URIs; pieces are fetched from the swarm as the hypervisor "
                    + "reads them. With a launchId the call is idempotent: the launch's disk is returned if it exists.")
    ResponseEntity<DiskView> create(@Valid @RequestBody CreateDiskRequest request) {
        try {
            Disks.OpenDisk d = disks.create(request.imageId(), request.launchId(), request.launchOptions());
            return ResponseEntity.created(URI.create("/api/v1/disks/" + d.id())).body(disks.view(d));
        } catch (ManifestCatalog.UnknownImageException e) {
            throw ProblemException.notFound("unknown-image", e.getMessage()).with("imageId", request.imageId());
        } catch (Disks.LaunchConflictException e) {
            throw ProblemException.conflict("launch-conflict", e.getMessage());
        } catch (IOException e) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "catalog-unavailable", "Catalog unavailable",
                    "could not get the image's manifest: " + e.getMessage());
        }
    }

    @GetMapping
    @Operation(summary = "List the disks on this host")
    List<DiskView> list() {
        return disks.list().stream().map(disks::view).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get a disk and its progress (pieces present of total, bytes fetched)")
    DiskView get(@PathVariable UUID id) {
        return disks.find(id).map(disks::view).orElseThrow(() -> unknown(id));
    }

    /** The result of ending a disk's access recording. */
    record TraceResult(UUID traceId, int reads) {
    }

    @PostMapping("/{id}/trace")
    @Operation(summary = "End the disk's access recording now and send the trace to profile-service",
            description = "Normally the trace is sent when the disk is torn down or its recording period ends. "
                    + "traceId is null when the trace was sent already or had no reads.")
    TraceResult endTrace(@PathVariable UUID id) {
        Disks.OpenDisk d = disks.find(id).orElseThrow(() -> unknown(id));
        UUID traceId = disks.endTrace(d);
        return new TraceResult(traceId, d.recorder().count());
    }

    @DeleteMapping("/{id}")
    @Operation(summary = "Tear a disk down", description = "Closes its NBD export and deletes its copy-on-write overlay.")
    ResponseEntity<Void> delete(@PathVariable UUID id) throws IOException {
        if (!disks.delete(id)) {
            throw unknown(id);
        }
        return ResponseEntity.noContent().build();
    }

    private static ProblemException unknown(UUID id) {
        return ProblemException.notFound("unknown-disk", "no disk " + id + " on this host").with("diskId", id);
    }
}
