package io.bootswarm.profile.api;

import io.bootswarm.profile.ProfileProperties;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.util.UriComponentsBuilder;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

/**
 * Asks seed-service about an image ({@code GET {bootswarm.profile.seed-url}/api/v1/images/{id}}): its
 * size and piece size. Each call goes through the resilience4j instances named {@value #NAME}: a
 * retry with backoff around a circuit breaker around a time limiter (configured under
 * {@code resilience4j.*}). A 404 is an answer (no such image), not a failure.
 */
@Component
class ImageSizeClient implements AutoCloseable {

    static final String NAME = "seed-service";

    private final URI base;
    private final RestClient http;
    private final CircuitBreaker circuitBreaker;
    private final Retry retry;
    private final TimeLimiter timeLimiter;
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();

    ImageSizeClient(ProfileProperties properties, RestClient.Builder http, CircuitBreakerRegistry circuitBreakers,
                    RetryRegistry retries, TimeLimiterRegistry timeLimiters) {
        this.base = properties.seedUrl();
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(HttpClient.newBuilder()
                .connectTimeout(properties.seedConnectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
        requests.setReadTimeout(properties.seedReadTimeout());
        this.http = http.requestFactory(requests).build();
        this.circuitBreaker = circuitBreakers.circuitBreaker(NAME);
        this.retry = retries.retry(NAME);
        this.timeLimiter = timeLimiters.timeLimiter(NAME);
    }

    /**
     * The image, or empty when seed-service does not know it.
     *
     * @throws SeedUnavailableException when seed-service cannot answer
     */
    Optional<ImageSize> find(UUID imageId) {
        URI uri = UriComponentsBuilder.fromUri(base).path("/api/v1/images/{id}").buildAndExpand(imageId).toUri();
        try {
            return Retry.decorateCheckedSupplier(retry,
                    () -> circuitBreaker.executeCallable(
                            () -> timeLimiter.executeFutureSupplier(() -> calls.submit(() -> get(uri))))).get();
        } catch (CallNotPermittedException e) {
            throw new SeedUnavailableException("seed-service circuit breaker is open after repeated failures", e);
        } catch (TimeoutException e) {
            throw new SeedUnavailableException("seed-service at " + base + " did not answer within "
                    + timeLimiter.getTimeLimiterConfig().getTimeoutDuration().toMillis() + " ms", e);
        } catch (SeedUnavailableException e) {
            throw e;
        } catch (Throwable e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof SeedUnavailableException s) {
                throw s;
            }
            throw new SeedUnavailableException("seed-service at " + base + " is unreachable: " + describe(cause), cause);
        }
    }

    private Optional<ImageSize> get(URI uri) {
        return http.get().uri(uri).accept(MediaType.APPLICATION_JSON).exchange((request, response) -> {
            HttpStatusCode status = response.getStatusCode();
            if (status.value() == 404) {
                return Optional.empty();
            }
            if (!status.is2xxSuccessful()) {
                throw new SeedUnavailableException("seed-service answered " + status.value() + " for " + uri);
            }
            ImageSize image = response.bodyTo(ImageSize.class);
            if (image == null || image.size() <= 0 || image.pieceSize() <= 0) {
                throw new SeedUnavailableException("seed-service sent no usable image (size, piece size) for " + uri);
            }
            return Optional.of(image);
        });
    }

    /** The first I/O exception in the chain (else the innermost cause), by class name and message. */
    private static String describe(Throwable t) {
        Throwable pick = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            pick = c;
            if (c instanceof java.io.IOException) {
                break;
            }
        }
        String name = pick.getClass().getSimpleName();
        return pick.getMessage() == null ? name : name + ": " + pick.getMessage();
    }

    @Override
    public void close() {
        calls.shutdownNow();
    }
}
