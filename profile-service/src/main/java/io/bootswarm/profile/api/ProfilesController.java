package io.bootswarm.profile.api;

import io.bootswarm.common.profile.ProfileDocument;
import io.bootswarm.common.web.ProblemException;
import io.bootswarm.profile.ProfileProperties;
import io.bootswarm.profile.model.ProfileRow;
import io.bootswarm.profile.model.WorkloadNames;
import io.bootswarm.profile.store.ProfileStore;
import io.bootswarm.profile.store.ProfileSummary;
import io.bootswarm.profile.store.RunSummary;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/** The profile registry's REST API: admins list, inspect, upload to and delete profiles; agents fetch the compact form. */
@RestController
@RequestMapping("/api/v1/profiles")
@Tag(name = "Profiles", description = "access profiles per (image, workload), VMTorrent §2.2.3")
class ProfilesController {

    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final ProfileStore profiles;
    private final TraceUploads uploads;
    private final ProfileProperties properties;

    ProfilesController(ProfileStore profiles, TraceUploads uploads, ProfileProperties properties) {
        this.profiles = profiles;
        this.uploads = uploads;
        this.properties = properties;
    }

    @GetMapping
    @Operation(summary = "List profiles", description = "Most recently updated first, paged; optionally of one image.")
    @ApiResponse(responseCode = "200", description = "a page of profile summaries")
    @ApiResponse(responseCode = "400", description = "bad image id or page")
    Page<ProfileSummary> list(
            @Parameter(description = "only the profiles of this image") @RequestParam(required = false) String imageId,
            @Parameter(description = "page number, from 0") @RequestParam(defaultValue = "0") int page,
            @Parameter(description = "page size") @RequestParam(defaultValue = "50") int size) {
        checkPage(page, size, properties.maxPageSize());
        return Page.of(profiles.list(imageId == null ? null : imageId(imageId), page, size));
    }

    @GetMapping("/{imageId}/{workload}")
    @Operation(summary = "Get a profile with its rows",
            description = "The summary and the rows in profile order (mean first-access time, ties by piece). "
                    + "Without 'size' all rows come at once (up to bootswarm.profile.max-rows-per-page).")
    @ApiResponse(responseCode = "200", description = "the profile")
    @ApiResponse(responseCode = "400", description = "bad image id, workload or page")
    @ApiResponse(responseCode = "404", description = "no profile for this image and workload")
    ProfileView get(@PathVariable("imageId") String imageIdText, @PathVariable String workload,
                    @Parameter(description = "page of rows, from 0") @RequestParam(defaultValue = "0") int page,
                    @Parameter(description = "rows per page (default: the maximum)")
                    @RequestParam(required = false) Integer size) {
        UUID imageId = imageId(imageIdText);
        workload(workload);
        int pageSize = size == null ? properties.maxRowsPerPage() : size;
        checkPage(page, pageSize, properties.maxRowsPerPage());
        ProfileStore.Detail detail = profiles.detail(imageId, workload).orElseThrow(() -> notFound(imageId, workload));
        ProfileSummary s = detail.summary();
        List<ProfileRow> rows = detail.rows();
        int from = (int) Math.min((long) page * pageSize, rows.size());
        int to = (int) Math.min((long) from + pageSize, rows.size());
        return new ProfileView(s.imageId(), s.workload(), s.pieceSize(), s.runs(), s.pieces(), s.createdAt(),
                s.updatedAt(), page, pageSize, (rows.size() + pageSize - 1) / pageSize,
                rows.subList(from, to).stream().map(r -> ProfileRowView.of(r, s.runs())).toList());
    }

    @GetMapping("/{imageId}/{workload}/compact")
    @Operation(summary = "Get a profile in the compact form agents use",
            description = "Parallel arrays in profile order: piece indexes, mean first-access times (whole ms) and "
                    + "shares. A 404 means there is no profile yet: the launch runs in demand mode and its trace "
                    + "becomes the first run.")
    @ApiResponse(responseCode = "200", description = "the profile document")
    @ApiResponse(responseCode = "400", description = "bad image id or workload")
    @ApiResponse(responseCode = "404", description = "no profile for this image and workload (yet)")
    ProfileDocument compact(@PathVariable("imageId") String imageIdText, @PathVariable String workload) {
        UUID imageId = imageId(imageIdText);
        workload(workload);
        return profiles.document(imageId, workload).orElseThrow(() -> notFound(imageId, workload));
    }

    @GetMapping("/{imageId}/{workload}/runs")
    @Operation(summary = "List a profile's runs", description = "The traces it is built from, most recent first, paged.")
    @ApiResponse(responseCode = "200", description = "a page of runs")
    @ApiResponse(responseCode = "400", description = "bad image id, workload or page")
    @ApiResponse(responseCode = "404", description = "no profile for this image and workload")
    Page<RunSummary> runs(@PathVariable("imageId") String imageIdText, @PathVariable String workload,
                          @Parameter(description = "page number, from 0") @RequestParam(defaultValue = "0") int page,
                          @Parameter(description = "page size") @RequestParam(defaultValue = "50") int size) {
        UUID imageId = imageId(imageIdText);
        workload(workload);
        checkPage(page, size, properties.maxPageSize());
        return Page.of(profiles.runs(imageId, workload, page, size).orElseThrow(() -> notFound(imageId, workload)));
    }

    @PostMapping(path = "/{imageId}/{workload}/traces", consumes = "text/csv")
    @Operation(summary = "Upload a trace as a new run",
            description = "A block-access trace in CSV (header 'time_s,op,offset,length'; op READ, WRITE or FLUSH; "
                    + "only READs count; times in seconds with up to microsecond precision, in any order; offsets "
                    + "and lengths in bytes within the image). The image's piece size and size come from "
                    + "seed-service. The profile is created by its first run. A rejected upload changes nothing.",
            requestBody = @RequestBody(content = @Content(mediaType = "text/csv",
                    schema = @Schema(type = "string", example = "time_s,op,offset,length\n0.000000,READ,0,512\n"))))
    @ApiResponse(responseCode = "201", description = "applied; the run",
            headers = @Header(name = "Location", description = "URL of the profile"))
    @ApiResponse(responseCode = "400", description = "bad image id or workload; malformed trace (with 'line'); "
            + "a trace without READs")
    @ApiResponse(responseCode = "404", description = "seed-service does not know the image")
    @ApiResponse(responseCode = "409", description = "the profile has another piece size than the image")
    @ApiResponse(responseCode = "413", description = "larger than bootswarm.profile.max-upload-size")
    @ApiResponse(responseCode = "503", description = "seed-service cannot be asked about the image")
    ResponseEntity<RunSummary> upload(@PathVariable("imageId") String imageIdText, @PathVariable String workload,
                                      HttpServletRequest request) {
        UUID imageId = imageId(imageIdText);
        workload(workload);
        RunSummary run;
        try {
            run = uploads.upload(imageId, workload, request.getInputStream(), request.getContentLengthLong());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ResponseEntity.created(ServletUriComponentsBuilder.fromCurrentContextPath()
                .path("/api/v1/profiles/{imageId}/{workload}").buildAndExpand(imageId, workload).toUri()).body(run);
    }

    @DeleteMapping("/{imageId}/{workload}")
    @Operation(summary = "Delete a profile", description = "With its rows and runs. The next run starts it again.")
    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "400", description = "bad image id or workload")
    @ApiResponse(responseCode = "404", description = "no profile for this image and workload")
    ResponseEntity<Void> delete(@PathVariable("imageId") String imageIdText, @PathVariable String workload) {
        UUID imageId = imageId(imageIdText);
        workload(workload);
        if (!profiles.delete(imageId, workload)) {
            throw notFound(imageId, workload);
        }
        return ResponseEntity.noContent().build();
    }

    private static UUID imageId(String text) {
        if (!UUID_TEXT.matcher(text).matches()) {
            throw ProblemException.badRequest("invalid-image-id", "image id '" + abbreviate(text)
                    + "' is not a UUID (8-4-4-4-12 hexadecimal digits)");
        }
        return UUID.fromString(text.toLowerCase(Locale.ROOT));
    }

    private static void workload(String workload) {
        if (!WorkloadNames.isValid(workload)) {
            throw ProblemException.badRequest("invalid-workload", "workload '" + abbreviate(workload)
                    + "' does not match " + WorkloadNames.PATTERN);
        }
    }

    private static void checkPage(int page, int size, int maxSize) {
        if (page < 0 || size < 1 || size > maxSize) {
            throw ProblemException.badRequest("invalid-page", "page must be >= 0 and size in [1, " + maxSize
                    + "], got page " + page + ", size " + size);
        }
    }

    private static ProblemException notFound(UUID imageId, String workload) {
        return ProblemException.notFound("profile-not-found", "there is no profile for image " + imageId
                + " and workload '" + workload + "'").with("imageId", imageId).with("workload", workload);
    }

    private static String abbreviate(String s) {
        return s.length() <= 70 ? s : s.substring(0, 70) + "…";
    }
}
