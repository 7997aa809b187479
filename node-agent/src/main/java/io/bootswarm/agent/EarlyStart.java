package io.bootswarm.agent;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.launch.EarlyDisks;
import io.bootswarm.agent.launch.ExportHandover;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.manifest.ManifestTrust;
import io.bootswarm.agent.nbd.DirectMemory;
import io.bootswarm.agent.nbd.NbdServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.SmartApplicationListener;
import org.springframework.core.env.ConfigurableEnvironment;

import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.time.Instant;

/**
 * The agent's early start: after a restart under running guests, their NBD exports are served
 * again within moments instead of after the whole application (Spring's context, the web server,
 * the tracker, profile and Kafka clients), which takes many seconds; a hypervisor reconnecting with
 * {@code reconnect-delay} waits that long. As soon as the configuration is read
 * ({@link ApplicationEnvironmentPreparedEvent}), before any bean exists and without reaching the
 * tracker, the seed or Kafka, it prepares the data directory, opens the piece store, starts the NBD
 * server and reopens the disks ({@link EarlyDisks}): reads of pieces on the host and writes are
 * served at once, a read of a missing piece waits for the swarm. The beans then take these over
 * ({@link AgentConfiguration}, which finds them as {@link Started}).
 *
 * <p>With NBD TLS required (its certificate comes from a Spring SSL bundle) nothing starts early,
 * and if anything fails here, what was opened is closed again and the ordinary start does it all
 * (logged). If the application fails to start, what was opened here is closed.
 */
final class EarlyStart implements SmartApplicationListener {

    /** How long an NBD negotiation waits for the disks to be reopened before it is told there is no such export. */
    static final Duration RESTORE_WAIT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(EarlyStart.class);

    /** What the early start opened, handed to the beans: all of it, or nothing. */
    record Started(DataDirectory data, PieceStore store, NbdServer nbd, ExportHandover exports, EarlyDisks disks) {

        void close() {
            disks.close();
            nbd.close();
            try {
                store.close();
            } catch (IOException e) {
                log.warn("closing the piece store: {}", e.toString());
            }
        }
    }

    private Started started;

    @Override
    public boolean supportsEventType(Class<? extends ApplicationEvent> type) {
        return ApplicationEnvironmentPreparedEvent.class.isAssignableFrom(type)
                || ApplicationPreparedEvent.class.isAssignableFrom(type)
                || ApplicationFailedEvent.class.isAssignableFrom(type);
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        switch (event) {
            case ApplicationEnvironmentPreparedEvent e -> started = start(e.getEnvironment());
            case ApplicationPreparedEvent e when started != null ->
                    e.getApplicationContext().getBeanFactory().registerSingleton("earlyStart", started);
            case ApplicationFailedEvent e when started != null -> started.close();
            default -> { }
        }
    }

    /** Starts serving the disks of the data directory; null if it does not (then the beans do it all). */
    static Started start(ConfigurableEnvironment environment) {
        long t0 = System.nanoTime();
        Binder binder = Binder.get(environment);
        AgentProperties p;
        NbdLimitProperties limits;
        try {
            p = binder.bindOrCreate("bootswarm.agent", AgentProperties.class);
            limits = binder.bindOrCreate("bootswarm.agent.nbd.limits", NbdLimitProperties.class);
        } catch (RuntimeException e) {
            log.debug("no early start: {}", e.toString());
            return null;
        }
        if (p.nbd().tls().required()) {
            log.debug("no early start: NBD TLS needs the application's SSL bundles");
            return null;
        }
        PieceStore store = null;
        NbdServer nbd = null;
        try {
            DataDirectory data = DataDirectory.prepare(p);
            store = PieceStore.open(data.pieces(), p.pieceSize(), Duration.ofSeconds(1),
                    p.cache().quota(data.pieces()), InstantSource.system()).start();
            ExportHandover exports = new ExportHandover(RESTORE_WAIT);
            nbd = new NbdServer(AgentConfiguration.nbdSettings(p, limits, data, null, DirectMemory.limit()),
                    exports).start();
            ManifestTrust trust = new ManifestTrust(p.manifestKeys(),
                    data.manifests().resolve(ManifestTrust.PIN_FILE), !p.seedUrls().isEmpty(),
                    p.requirePinnedManifestSource());
            EarlyDisks disks;
            try (ManifestCatalog local = ManifestCatalog.localOnly(data.manifests(), trust, new SimpleMeterRegistry())) {
                disks = EarlyDisks.reopen(data.disks(), local, store, p.trace().maxReads());
            }
            exports.serve(disks.exports());
            log.info("early start: serving {} disks over NBD, {} ms after the configuration was read ({} ms after "
                    + "the process started)", disks.count(), (System.nanoTime() - t0) / 1_000_000,
                    ProcessHandle.current().info().startInstant()
                            .map(s -> Duration.between(s, Instant.now()).toMillis()).orElse(-1L));
            return new Started(data, store, nbd, exports, disks);
        } catch (IOException | RuntimeException e) {
            log.warn("no early start, the disks are served once the agent is up: {}", e.toString());
            if (nbd != null) {
                nbd.close();
            }
            if (store != null) {
                try {
                    store.close();
                } catch (IOException ex) {
                    e.addSuppressed(ex);
                }
            }
            return null;
        }
    }
}
