package io.bootswarm.agent.profile;

import io.bootswarm.common.profile.ProfileDocument;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import java.util.Optional;
import java.util.UUID;

/**
 * Fetches the access profile of an (image, workload) from profile-service, through resilience4j
 * (instance {@code profile}). No profile yet, or profile-service unreachable: empty, and the launch
 * runs in demand mode; an outage costs at most the HTTP timeout once, then the open breaker
 * answers at once.
 */
public final class ProfileClient {

    private static final Logger log = LoggerFactory.getLogger(ProfileClient.class);

    private final RestClient http;
    private final CircuitBreaker breaker;
    private final Retry retry;

    public ProfileClient(RestClient http, CircuitBreaker breaker, Retry retry) {
        this.http = http;
        this.breaker = breaker;
        this.retry = retry;
    }

    public Optional<ProfileDocument> profile(UUID imageId, String workload) {
        try {
            ProfileDocument doc = Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker,
                    () -> http.get().uri("/api/v1/profiles/{image}/{workload}/compact", imageId, workload)
                            .retrieve().body(ProfileDocument.class))).get();
            return Optional.ofNullable(doc);
        } catch (HttpClientErrorException e) {
            if (e.getStatusCode() != HttpStatus.NOT_FOUND) {
                log.warn("profile-service refused the profile of {}/{}: {}", imageId, workload, e.getMessage());
            }
            return Optional.empty();
        } catch (RestClientException | CallNotPermittedException | IllegalArgumentException e) {
            log.warn("no profile for {}/{} (profile-service unavailable: {}); running in demand mode", imageId,
                    workload, e.getMessage());
            return Optional.empty();
        }
    }
}
