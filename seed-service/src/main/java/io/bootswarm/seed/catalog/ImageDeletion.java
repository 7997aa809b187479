package io.bootswarm.seed.catalog;

import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.web.ProblemException;
import io.bootswarm.seed.tracker.TrackerLaunches;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

import java.util.List;
import java.util.UUID;

/**
 * Deletes an image unless launches still run it. The tracker is asked first: an image with live launches is
 * refused (409 {@code image-in-use}, the launches named) unless the delete is forced, and a forced delete has
 * the tracker stop them, each STOP carrying {@value #REASON} (the agents log it and report it as the host's
 * detail), before the image goes. A tracker that cannot answer refuses the delete (503 {@code
 * tracker-unavailable}): deleting blindly would leave running disks failing their reads. A seed without a
 * tracker URL runs alone, no launch can use its images, and deletes as it always did.
 *
 * <p>The stop is queued at the tracker (its outbox), not awaited: agents tear their disks down as the STOP
 * reaches them, normally within a moment of the delete, and a read in between of a piece the host lacks fails
 * as it would have. A launch the tracker creates between its answer and the delete (it asked the seed for the
 * image just before) is not stopped either.
 */
@Service
class ImageDeletion {

    private static final Logger log = LoggerFactory.getLogger(ImageDeletion.class);
    /** The reason the STOP commands of a forced delete carry. */
    static final String REASON = "image-deleted";

    private final Catalog catalog;
    private final TrackerLaunches launches;
    private final MeterRegistry meters;

    ImageDeletion(Catalog catalog, TrackerLaunches launches, MeterRegistry meters) {
        this.catalog = catalog;
        this.launches = launches;
        this.meters = meters;
    }

    /**
     * Deletes image {@code id}, stopping its live launches first when {@code force}.
     *
     * @throws ProblemException 404 no such image, 409 the image has live launches and {@code force} is false,
     *                          503 the tracker cannot say (or stop) them
     */
    void delete(UUID id, boolean force) {
        catalog.get(id);
        if (!launches.enabled()) {
            log.debug("no tracker configured: image {} is deleted without asking for its launches", id);
            catalog.delete(id);
            count("deleted");
            return;
        }
        try {
            if (force) {
                List<UUID> stopped = launches.stop(id, REASON);
                if (!stopped.isEmpty()) {
                    log.warn("forced delete of image {}: the tracker stops its {} live launch(es) {}", id,
                            stopped.size(), stopped);
                }
                catalog.delete(id);
                count(stopped.isEmpty() ? "deleted" : "forced");
                return;
            }
            TrackerLaunches.Live live = launches.live(id);
            if (live.total() > 0) {
                count("in-use");
                throw ProblemException.conflict("image-in-use", "image " + id + " has " + live.total()
                                + " live launch(es); stop them, or delete with force=true to have them stopped")
                        .with("imageId", id).with("launches", live.launchIds()).with("liveLaunches", live.total());
            }
        } catch (RemoteCallException e) {
            count("tracker-unavailable");
            log.warn("image {} not deleted: cannot ask the tracker for its launches: {}", id, e.getMessage());
            ProblemException p = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "tracker-unavailable",
                    "Service unavailable", "cannot ask the tracker whether launches still use image " + id + ": "
                    + e.getMessage()).with("imageId", id);
            p.getHeaders().set("Retry-After", "5");
            throw p;
        }
        catalog.delete(id);
        count("deleted");
    }

    private void count(String outcome) {
        Counter.builder("bootswarm.seed.image.deletes").description("image delete requests by outcome")
                .tag("outcome", outcome).register(meters).increment();
    }
}
