package io.bootswarm.seed.tracker;

import io.bootswarm.common.net.UriHost;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.SeedProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Registers the seed with tracker-service every {@code bootswarm.seed.heartbeat-interval}:
 * {@code POST {bootswarm.seed.tracker-url}/api/v1/seeds} with a {@link RegistrationBody}; any 2xx
 * is success. Each call is a {@link RemoteCall} through the resilience4j instances named
 * {@code tracker} (configured under {@code resilience4j.*}). A tracker outage never stops the seed: failures
 * are logged once when they start and once when they end. Starts when the web server is up (its
 * port goes into the API URL); an empty tracker URL disables it.
 */
@Component
class TrackerRegistration implements ApplicationListener<WebServerInitializedEvent>, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TrackerRegistration.class);
    static final String RESILIENCE_NAME = "tracker";

    private final SeedProperties properties;
    private final SeedIdentity identity;
    private final PeerWireServer peerWire;
    private final RestClient.Builder restClients;
    private final RemoteCall tracker;
    private final MeterRegistry meters;
    private ScheduledExecutorService schedule;
    private RestClient client;
    private String trackerUrl;
    private RegistrationLog stateLog;
    private volatile RegistrationBody registration;
    private volatile Instant lastSuccess;

    TrackerRegistration(SeedProperties properties, SeedIdentity identity, PeerWireServer peerWire,
                        RestClient.Builder restClients, CircuitBreakerRegistry circuitBreakers, RetryRegistry retries,
                        TimeLimiterRegistry timeLimiters, MeterRegistry meters) {
        this.properties = properties;
        this.identity = identity;
        this.peerWire = peerWire;
        this.restClients = restClients;
        this.tracker = RemoteCall.of(RESILIENCE_NAME, retries, circuitBreakers, timeLimiters);
        this.meters = meters;
    }

    @Override
    public synchronized void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() != null || schedule != null) {
            return; // the management server, or already started
        }
        if (!properties.registrationEnabled()) {
            log.info("tracker registration disabled (bootswarm.seed.tracker-url is empty)");
            return;
        }
        String base = properties.trackerUrl().replaceAll("/+$", "");
        registration = new RegistrationBody(identity.id(), properties.advertisedHost(), peerWire.port(),
                apiUrl(event.getWebServer().getPort()));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(http);
        factory.setReadTimeout(Duration.ofSeconds(10));
        client = restClients.clone().baseUrl(base).requestFactory(factory).build();
        trackerUrl = base;
        stateLog = new RegistrationLog(log, base);
        schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("tracker-registration")
                .factory());
        long interval = properties.heartbeatInterval().toMillis();
        schedule.scheduleWithFixedDelay(this::registerOnce, 0, interval, TimeUnit.MILLISECONDS);
    }

    private String apiUrl(int serverPort) {
        if (!properties.advertisedApiUrl().isBlank()) {
            return properties.advertisedApiUrl().replaceAll("/+$", "");
        }
        return "http://" + UriHost.of(properties.advertisedHost()) + ":" + serverPort;
    }

    /** One registration: never throws, so the schedule keeps going whatever the tracker does. */
    void registerOnce() {
        RegistrationBody body = registration;
        try {
            tracker.call(trackerUrl, () -> post(body));
            lastSuccess = Instant.now();
            meters.counter("bootswarm.seed.tracker.registrations", "outcome", "success").increment();
            stateLog.succeeded(body);
        } catch (RemoteCallException e) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            meters.counter("bootswarm.seed.tracker.registrations", "outcome", "failure").increment();
            stateLog.failed(e, interval(properties.heartbeatInterval()));
        }
    }

    private static String interval(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : d.toMillis() / 1000.0 + " s";
    }

    private Void post(RegistrationBody body) {
        ResponseEntity<Void> response = client.post().uri("/api/v1/seeds").contentType(MediaType.APPLICATION_JSON)
                .body(body).retrieve().toBodilessEntity();
        if (!response.getStatusCode().is2xxSuccessful()) {
            throw new IllegalStateException("tracker answered " + response.getStatusCode());
        }
        return null;
    }

    /** What is being registered, once started. */
    RegistrationBody registration() {
        return registration;
    }

    /** When the last registration succeeded, or null. */
    Instant lastSuccess() {
        return lastSuccess;
    }

    @Override
    public synchronized void destroy() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
        tracker.close();
    }
}
