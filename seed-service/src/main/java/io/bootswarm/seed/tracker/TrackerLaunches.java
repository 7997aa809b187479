package io.bootswarm.seed.tracker;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.bootswarm.common.remote.RemoteCallException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The tracker's launches of an image, for deleting it: which are live ({@code GET /api/v1/launches?imageId=&live=true})
 * and stopping them for a reason ({@code POST /api/v1/launches/stops}). The seed calls as its own client (role
 * {@code seed}), through {@link TrackerCalls} like its registration. Without a tracker URL the seed runs alone:
 * no tracker knows launches of its images, and {@link #enabled()} is false.
 */
@Component
public class TrackerLaunches {

    /** The most launch ids one answer names; the total is counted beyond it. */
    static final int PAGE = 100;

    /**
     * Live launches of an image.
     *
     * @param launchIds the most recent ones, at most {@value #PAGE}
     * @param total     how many there are in all
     */
    public record Live(List<UUID> launchIds, long total) {
        public Live {
            launchIds = List.copyOf(launchIds);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record LaunchItem(UUID id) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record LaunchPage(List<LaunchItem> items, long totalElements) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Stopped(List<UUID> launchIds) {
    }

    private final TrackerCalls tracker;

    TrackerLaunches(TrackerCalls tracker) {
        this.tracker = tracker;
    }

    /** Whether a tracker is configured to ask. */
    public boolean enabled() {
        return tracker.enabled();
    }

    /**
     * The image's live launches: not asked to stop, with a host pending, preparing or ready.
     *
     * @throws RemoteCallException when the tracker cannot answer
     */
    public Live live(UUID imageId) throws RemoteCallException {
        LaunchPage page = tracker.call(client -> client.get()
                .uri("/api/v1/launches?imageId={id}&live=true&size={size}", imageId, PAGE)
                .accept(MediaType.APPLICATION_JSON).retrieve().body(LaunchPage.class));
        if (page == null || page.items() == null) {
            throw new RemoteCallException("the tracker sent no launch page");
        }
        return new Live(page.items().stream().map(LaunchItem::id).toList(), page.totalElements());
    }

    /**
     * Asks the tracker to stop every live launch of the image with {@code reason} (idempotent: a retry stops
     * nothing twice).
     *
     * @return the launches asked to stop
     * @throws RemoteCallException when the tracker cannot answer
     */
    public List<UUID> stop(UUID imageId, String reason) throws RemoteCallException {
        Stopped stopped = tracker.call(client -> client.post().uri("/api/v1/launches/stops")
                .contentType(MediaType.APPLICATION_JSON).accept(MediaType.APPLICATION_JSON)
                .body(Map.of("imageId", imageId, "reason", reason)).retrieve().body(Stopped.class));
        if (stopped == null || stopped.launchIds() == null) {
            throw new RemoteCallException("the tracker sent no answer to the stop");
        }
        return List.copyOf(stopped.launchIds());
    }
}
