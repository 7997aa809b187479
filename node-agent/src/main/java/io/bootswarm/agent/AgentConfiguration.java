package io.bootswarm.agent;

import io.bootswarm.agent.disk.CacheMetrics;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.launch.Disks;
import io.bootswarm.agent.launch.ExportHandover;
import io.bootswarm.agent.launch.LaunchCommandListener;
import io.bootswarm.agent.launch.LaunchReporter;
import io.bootswarm.agent.preheat.PreheatConfiguration;
import io.bootswarm.agent.preheat.Preheats;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.manifest.ManifestTrust;
import io.bootswarm.agent.nbd.DirectMemory;
import io.bootswarm.agent.nbd.NbdServer;
import io.bootswarm.agent.nbd.NbdServerSettings;
import io.bootswarm.agent.nbd.NbdTls;
import io.bootswarm.agent.profile.ProfileClient;
import io.bootswarm.agent.report.SwarmReporter;
import io.bootswarm.agent.trace.TracePublisher;
import io.bootswarm.agent.swarm.PeerTokenSettings;
import io.bootswarm.agent.swarm.ReferralSettings;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.agent.tracker.HostHeartbeat;
import io.bootswarm.agent.tracker.TrackerCallSettings;
import io.bootswarm.agent.tracker.TrackerClient;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.net.UriHost;
import io.bootswarm.common.peertoken.PeerTokenKeyring;
import io.bootswarm.common.peertoken.PeerTokenVerifier;
import io.bootswarm.common.peertoken.TokenAccess;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.PeerAccess;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.EventListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicReference;

/** Wires the agent: piece store, swarms, disks, NBD server, tracker registration, launch commands. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({AgentProperties.class, PeerTokenSettings.class, NbdLimitProperties.class,
        TrackerCallSettings.class, ReferralSettings.class})
@Import(PreheatConfiguration.class)
class AgentConfiguration {

    private static final Logger log = LoggerFactory.getLogger(AgentConfiguration.class);

    /**
     * The data directory, owner-only before anything is stored in it; the beans that store there take it.
     * It, the piece store, the NBD server and the disks come from the {@link EarlyStart} when that ran.
     */
    @Bean
    DataDirectory dataDirectory(AgentProperties p, ObjectProvider<EarlyStart.Started> early) throws IOException {
        EarlyStart.Started e = early.getIfAvailable();
        return e != null ? e.data() : DataDirectory.prepare(p);
    }

    @Bean
    PieceStore pieceStore(DataDirectory data, AgentProperties p, MeterRegistry meters,
                          ObjectProvider<EarlyStart.Started> early) throws IOException {
        EarlyStart.Started e = early.getIfAvailable();
        PieceStore store = e != null ? e.store()
                : PieceStore.open(data.pieces(), p.pieceSize(), Duration.ofSeconds(1),
                        p.cache().quota(data.pieces()), InstantSource.system()).start();
        Gauge.builder("bootswarm.agent.store.pieces", store, PieceStore::count)
                .description("verified pieces held on this host").register(meters);
        new CacheMetrics(store).bindTo(meters);
        return store;
    }

    @Bean
    TrackerClient trackerClient(RestClient.Builder http, RetryRegistry retries, CircuitBreakerRegistry breakers,
                                TimeLimiterRegistry limiters, AgentProperties p, TrackerCallSettings calls,
                                MeterRegistry meters) {
        return new TrackerClient(RemoteReplicas.of("tracker", p.trackerUrls(), http, retries, breakers, limiters,
                meters), p.advertisedHost(), calls.breakerWait(), InstantSource.system(), meters);
    }

    @Bean
    ManifestCatalog manifestCatalog(RestClient.Builder http, TrackerClient tracker, RetryRegistry retries,
                                    CircuitBreakerRegistry breakers, TimeLimiterRegistry limiters, AgentProperties p,
                                    DataDirectory data, MeterRegistry meters) throws IOException {
        ManifestTrust trust = new ManifestTrust(p.manifestKeys(), data.manifests().resolve(ManifestTrust.PIN_FILE),
                !p.seedUrls().isEmpty(), p.requirePinnedManifestSource());
        RemoteReplicas seeds = p.seedUrls().isEmpty() ? null
                : RemoteReplicas.of("seed", p.seedUrls(), http, retries, breakers, limiters, meters);
        return new ManifestCatalog(data.manifests(), http.clone(), seeds, tracker,
                RemoteCall.of("seed", retries, breakers, limiters), trust, meters, MonotonicClock.system());
    }

    /**
     * Who may fetch from this host: peers with a valid access token from the tracker, whose keys are
     * pinned ({@code bootswarm.agent.peer-token.keys}) or fetched from the tracker.
     */
    @Bean
    PeerAccess peerAccess(PeerTokenSettings settings, TrackerClient tracker, MeterRegistry meters) {
        Clock clock = Clock.systemUTC();
        PeerTokenKeyring keys = PeerTokenKeyring.of(settings.keys(), tracker::peerTokenKeys, clock,
                settings.refetchAfter());
        return new TokenAccess(new PeerTokenVerifier(keys, clock), meters);
    }

    @Bean
    SwarmManager swarmManager(PieceStore store, TrackerClient tracker, ManifestCatalog manifests, AgentProperties p,
                              ReferralSettings referrals, PeerAccess access, MeterRegistry meters) throws IOException {
        Function<SwarmId, Optional<Manifest>> resolver = !p.swarm().crossImage() ? id -> Optional.empty() : id -> {
            try {
                return manifests.bySwarm(id);
            } catch (IOException e) {
                log.debug("cannot resolve swarm {} for cross-image serving: {}", id, e.toString());
                return Optional.empty();
            }
        };
        SwarmManager swarms = new SwarmManager(store, tracker, p.swarm(), new InetSocketAddress(p.peerPort()), resolver,
                access, meters, MonotonicClock.system()).withReferrals(referrals).start();
        FunctionCounter.builder("bootswarm.agent.peer.refused", swarms, SwarmManager::refusedPeers)
                .description("peer connections closed without serving: no valid access token (by reason: "
                        + "bootswarm.peer.refused)").register(meters);
        return swarms;
    }

    /** The NBD server's exports: waited for until the disks are reopened, then the disks. */
    @Bean
    ExportHandover nbdExports(ObjectProvider<EarlyStart.Started> early) {
        EarlyStart.Started e = early.getIfAvailable();
        return e != null ? e.exports() : new ExportHandover(EarlyStart.RESTORE_WAIT);
    }

    /**
     * The NBD server, which finds its exports among the disks once they are reopened, with TLS from the
     * SSL bundle {@code bootswarm.agent.nbd.tls.bundle} names when it is required; the early start's
     * when that ran.
     */
    @Bean
    NbdServer nbdServer(AgentProperties p, NbdLimitProperties limits, DataDirectory data, ExportHandover exports,
                        MeterRegistry meters, ObjectProvider<SslBundles> sslBundles,
                        ObjectProvider<EarlyStart.Started> early) throws IOException {
        EarlyStart.Started e = early.getIfAvailable();
        if (e != null) {
            e.nbd().bindMetrics(meters);
            return e.nbd();
        }
        NbdTls tls = p.nbd().tls().required()
                ? NbdTls.of(sslBundles.getObject().getBundle(p.nbd().tls().bundle())) : null;
        return new NbdServer(nbdSettings(p, limits, data, tls, DirectMemory.limit()), exports, meters).start();
    }

    /** How the agent's NBD server listens and what its clients may hold. */
    static NbdServerSettings nbdSettings(AgentProperties p, NbdLimitProperties limits, DataDirectory data, NbdTls tls,
                                         long directMemoryLimit) {
        return limits.applyTo(NbdServerSettings.tcp(p.nbd().bindAddress(), p.nbd().port()), directMemoryLimit)
                .withUnixSocket(p.hasUnixSocket() ? p.nbd().unixSocket().toAbsolutePath() : null, data.socketGroup())
                .withTls(tls);
    }

    @Bean
    ProfileClient profileClient(RestClient.Builder http, RetryRegistry retries, CircuitBreakerRegistry breakers,
                                TimeLimiterRegistry limiters, AgentProperties p) {
        return new ProfileClient(http.clone().baseUrl(p.profileUrl()).build(), p.profileUrl(),
                RemoteCall.of("profile", retries, breakers, limiters));
    }

    @Bean
    TracePublisher tracePublisher(KafkaTemplate<String, String> kafka) {
        return new TracePublisher(kafka, MonotonicClock.system());
    }

    @Bean
    Disks disks(DataDirectory data, ManifestCatalog manifests, SwarmManager swarms, AgentProperties p,
                ProfileClient profiles, TracePublisher traces, NbdServer nbd, ExportHandover exports,
                ObjectProvider<EarlyStart.Started> early) throws IOException {
        EarlyStart.Started e = early.getIfAvailable();
        Disks disks = new Disks(data.disks(), manifests, swarms, p, profiles, traces, nbd::tcpPort, nbd::disconnect,
                InstantSource.system(), e != null ? e.disks() : null);
        exports.serve(disks);
        return disks;
    }

    @Bean
    LaunchReporter launchReporter(KafkaTemplate<String, String> kafka, Disks disks, AgentProperties p) {
        return new LaunchReporter(kafka, disks, p.hostName(), p.statusInterval());
    }

    @Bean
    LaunchCommandListener launchCommandListener(Disks disks, LaunchReporter reporter, AgentProperties p,
                                                Preheats preheats) {
        return new LaunchCommandListener(disks, reporter, p.hostName(), preheats::on);
    }

    @Bean
    @ConditionalOnBooleanProperty(name = "bootswarm.agent.report.enabled", matchIfMissing = true)
    SwarmReporter swarmReporter(SwarmManager swarms, ManifestCatalog catalog, KafkaTemplate<String, String> kafka,
                                AgentProperties p) {
        return new SwarmReporter(swarms, catalog, kafka, p.hostName(), p.report().assumedUploadCapacity().toBytes(),
                p.report().interval(), MonotonicClock.system()).start();
    }

    @Bean
    Registration registration(TrackerClient tracker, SwarmManager swarms, AgentProperties p) {
        return new Registration(tracker, swarms, p);
    }

    /** Registers the host with the tracker once the REST port is known. */
    static final class Registration implements AutoCloseable {
        private final TrackerClient tracker;
        private final SwarmManager swarms;
        private final AgentProperties p;
        private final AtomicReference<HostHeartbeat> heartbeat = new AtomicReference<>();

        Registration(TrackerClient tracker, SwarmManager swarms, AgentProperties p) {
            this.tracker = tracker;
            this.swarms = swarms;
            this.p = p;
        }

        @EventListener
        void onWebServer(WebServerInitializedEvent event) {
            String apiUrl = p.apiUrl() != null && !p.apiUrl().isBlank() ? p.apiUrl()
                    : "http://" + UriHost.of(p.advertisedHost()) + ":" + event.getWebServer().getPort();
            HostHeartbeat hb = new HostHeartbeat(tracker, p.hostName(), apiUrl, swarms.peerPort(),
                    p.heartbeatInterval()).start();
            HostHeartbeat old = heartbeat.getAndSet(hb);
            if (old != null) {
                old.close();
            }
        }

        @Override
        public void close() {
            HostHeartbeat hb = heartbeat.get();
            if (hb != null) {
                hb.close();
            }
        }
    }
}
