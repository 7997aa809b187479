package io.bootswarm.profile.api;

import io.bootswarm.common.web.ProblemException;
import io.bootswarm.profile.ProfileProperties;
import io.bootswarm.profile.ingest.RunMetrics;
import io.bootswarm.profile.model.FirstAccess;
import io.bootswarm.profile.model.InvalidTraceException;
import io.bootswarm.profile.model.TraceCsv;
import io.bootswarm.profile.model.TraceRun;
import io.bootswarm.profile.store.ProfileStore;
import io.bootswarm.profile.store.RunSource;
import io.bootswarm.profile.store.RunSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * An admin's trace upload: checks everything first (the image with seed-service, the whole CSV, every
 * read against the image's size and the limits), then applies the run in one transaction. A rejected
 * upload changes nothing.
 */
@Service
class TraceUploads {

    private static final Logger log = LoggerFactory.getLogger(TraceUploads.class);

    private final ImageSizeClient seed;
    private final ProfileStore profiles;
    private final ProfileProperties properties;
    private final Counter applied;

    TraceUploads(ImageSizeClient seed, ProfileStore profiles, ProfileProperties properties, MeterRegistry meters) {
        this.seed = seed;
        this.profiles = profiles;
        this.properties = properties;
        this.applied = RunMetrics.applied(meters, RunSource.UPLOAD);
    }

    /** @param contentLength the declared body length, or -1 */
    RunSummary upload(UUID imageId, String workload, InputStream body, long contentLength) {
        long max = properties.maxUploadSize().toBytes();
        if (contentLength > max) {
            throw tooLarge(max);
        }
        ImageSize image = image(imageId);
        TraceCsv.Parsed parsed;
        try {
            parsed = TraceCsv.parse(body, max);
        } catch (TraceCsv.TooLargeException e) {
            throw tooLarge(max);
        } catch (TraceCsv.FormatException e) {
            throw malformed(e.getMessage(), e.line());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the uploaded trace", e);
        }
        TraceRun run;
        try {
            run = FirstAccess.compute(parsed.reads(), image.pieceSize(), image.size(), properties.traceLimits());
        } catch (InvalidTraceException e) {
            int line = parsed.lineOf(e.readIndex());
            throw malformed(line > 0 ? "line " + line + ": " + e.getMessage() : e.getMessage(), line);
        }
        if (run.piecesTouched() == 0) {
            throw ProblemException.badRequest("empty-trace", "the trace has no READ of at least one byte ("
                    + parsed.readCount() + " READs, " + parsed.requests() + " requests in all): there is nothing "
                    + "to learn from it");
        }
        ProfileStore.Applied result = profiles.apply(new ProfileStore.NewRun(UUID.randomUUID(), imageId, workload,
                image.pieceSize(), RunSource.UPLOAD, null, null, run));
        if (result.outcome() != ProfileStore.Outcome.APPLIED) {
            throw ProblemException.conflict("piece-size-mismatch", "the profile of " + imageId + " / " + workload
                            + " has pieces of " + result.profile().pieceSize() + " bytes, the image now "
                            + image.pieceSize() + "; delete the profile to start it again")
                    .with("profilePieceSize", result.profile().pieceSize()).with("imagePieceSize", image.pieceSize());
        }
        applied.increment();
        log.info("uploaded trace {} applied to profile {} {}: {} reads, {} pieces; profile now {} runs, {} pieces",
                result.run().traceId(), imageId, workload, run.readCount(), run.piecesTouched(),
                result.profile().runs(), result.profile().pieces());
        return result.run();
    }

    private ImageSize image(UUID imageId) {
        try {
            return seed.find(imageId).orElseThrow(() -> ProblemException.notFound("unknown-image",
                    "seed-service has no image " + imageId).with("imageId", imageId));
        } catch (SeedUnavailableException e) {
            log.warn("cannot look up image {} with seed-service: {}", imageId, e.getMessage());
            ProblemException p = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "seed-unavailable",
                    "Service unavailable", "cannot look up the image with seed-service: " + e.getMessage());
            p.getHeaders().set("Retry-After", "5");
            throw p;
        }
    }

    private static ProblemException malformed(String detail, int line) {
        ProblemException p = ProblemException.badRequest("malformed-trace", detail);
        return line > 0 ? p.with("line", line) : p;
    }

    private static ProblemException tooLarge(long max) {
        return new ProblemException(HttpStatus.valueOf(413), "trace-too-large", "Content too large",
                "the trace is larger than the limit of " + max + " bytes (bootswarm.profile.max-upload-size)")
                .with("limit", max);
    }
}
