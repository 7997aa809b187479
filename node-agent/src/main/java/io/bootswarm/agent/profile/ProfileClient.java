package io.bootswarm.agent.profile;

import io.bootswarm.common.profile.ProfileDocument;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.client.RestClient;

import java.util.Optional;
import java.util.UUID;

/**
 * Fetches the access profile of an (image, workload) from profile-service, a {@link RemoteCall}
 * through the resilience4j instances named {@code profile}. No profile yet, or profile-service
 * unreachable: empty, and the launch runs in demand mode; an outage costs at most the time limit
 * once, then the open breaker answers at once.
 */
public final class ProfileClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProfileClient.class);

    private final RestClient http;
    private final String profileUrl;
    private final RemoteCall profiles;

    /**
     * @param http       a client with {@code profileUrl} as its base URL
     * @param profileUrl profile-service's base URL
     * @param profiles   the resilience4j instances calls go through; closed with this client
     */
    public ProfileClient(RestClient http, String profileUrl, RemoteCall profiles) {
        this.http = http;
        this.profileUrl = profileUrl;
        this.profiles = profiles;
    }

    public Optional<ProfileDocument> profile(UUID imageId, String workload) {
        try {
            return Optional.ofNullable(profiles.call(profileUrl, () -> http.get()
                    .uri("/api/v1/profiles/{image}/{workload}/compact", imageId, workload)
                    .retrieve().body(ProfileDocument.class)));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            if (e.status() != 0) {
                log.warn("profile-service refused the profile of {}/{}: {}", imageId, workload, e.getMessage());
            } else {
                log.warn("no profile for {}/{} (profile-service unavailable: {}); running in demand mode", imageId,
                        workload, e.getMessage());
            }
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        profiles.close();
    }
}
