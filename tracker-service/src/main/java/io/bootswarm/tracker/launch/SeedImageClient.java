package io.bootswarm.tracker.launch;

import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.seeds.Seed;
import io.bootswarm.tracker.seeds.SeedRegistry;
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
 * Asks seed-service whether an image exists ({@code GET /api/v1/images/{id}}). The seed's URL is
 * that of the most recently seen live registered seed, else {@code bootswarm.tracker.seed-url}.
 * Each call goes through the resilience4j instances named {@value #NAME}: a retry with backoff
 * around a circuit breaker around a time limiter (configured under {@code resilience4j.*}).
 * A 404 is an answer (the image does not exist), not a failure.
 */
@Component
class SeedImageClient implements AutoCloseable {

    static final String NAME = "seed-service";

    private final SeedRegistry seeds;
    private final TrackerProperties properties;
    private final RestClient http;
    private final CircuitBreaker circuitBreaker;
    private final Retry retry;
    private final TimeLimiter timeLimiter;
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();

    SeedImageClient(SeedRegistry seeds, TrackerProperties properties, RestClient.Builder http,
                    CircuitBreakerRegistry circuitBreakers, RetryRegistry retries, TimeLimiterRegistry timeLimiters) {
        this.seeds = seeds;
        this.properties = properties;
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
    Optional<ImageInfo> find(UUID imageId) {
        URI base = seeds.live().stream().findFirst().map(Seed::apiUrl).map(URI::create)
                .or(() -> Optional.ofNullable(properties.seedUrl()))
                .orElseThrow(() -> new SeedUnavailableException(
                        "no live seed-service is registered and bootswarm.tracker.seed-url is not set"));
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

    private Optional<ImageInfo> get(URI uri) {
        return http.get().uri(uri).accept(MediaType.APPLICATION_JSON).exchange((request, response) -> {
            HttpStatusCode status = response.getStatusCode();
            if (status.value() == 404) {
                return Optional.empty();
            }
            if (!status.is2xxSuccessful()) {
                throw new SeedUnavailableException("seed-service answered " + status.value() + " for " + uri);
            }
            ImageInfo image = response.bodyTo(ImageInfo.class);
            if (image == null) {
                throw new SeedUnavailableException("seed-service sent no image body for " + uri);
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
