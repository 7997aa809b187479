package io.bootswarm.seed.tracker;

import io.bootswarm.common.net.UriHost;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.SeedProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Registers the seed with tracker-service every {@code bootswarm.seed.heartbeat-interval}:
 * {@code POST {bootswarm.seed.tracker-url}/api/v1/seeds} with a {@link RegistrationBody}; any 2xx
 * is success. Each call goes through {@link TrackerCalls}: to the current tracker replica when the URL lists
 * several, moving on to the next when it fails. A tracker outage never stops the seed: failures
 * are logged once when they start and once when they end. Starts when the web server is up (its
 * port goes into the API URL); an empty tracker URL disables it.
 */
@Component
class TrackerRegistration implements ApplicationListener<WebServerInitializedEvent>, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TrackerRegistration.class);
    private final SeedProperties properties;
    private final SeedIdentity identity;
    private final PeerWireServer peerWire;
    private final TrackerCalls tracker;
    private final MeterRegistry meters;
    private ScheduledExecutorService schedule;
    private RegistrationLog stateLog;
    private volatile RegistrationBody registration;
    private volatile Instant lastSuccess;

    TrackerRegistration(SeedProperties properties, SeedIdentity identity, PeerWireServer peerWire,
                        TrackerCalls tracker, MeterRegistry meters) {
        this.properties = properties;
        this.identity = identity;
        this.peerWire = peerWire;
        this.tracker = tracker;
        this.meters = meters;
    }

    @Override
    public synchronized void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() != null || schedule != null) {
            return; // the management server, or already started
        }
        if (!tracker.enabled()) {
            log.info("tracker registration disabled (bootswarm.seed.tracker-url is empty)");
            return;
        }
        registration = new RegistrationBody(identity.id(), properties.advertisedHost(), peerWire.port(),
                apiUrl(event.getWebServer().getPort()));
        stateLog = new RegistrationLog(log, String.join(",", tracker.urls()));
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
            tracker.call(client -> post(client, body));
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

    private static Void post(RestClient client, RegistrationBody body) {
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
    }
}
