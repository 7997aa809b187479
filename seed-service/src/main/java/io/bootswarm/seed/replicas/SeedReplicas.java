package io.bootswarm.seed.replicas;

import io.bootswarm.seed.SeedIdentity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * How many seed replicas serve this catalog right now: each renews its row in {@code seed_replica} (its
 * {@link SeedIdentity} id) every {@code bootswarm.seed.replicas.heartbeat-interval} and counts the rows renewed
 * within {@code lease} (the database's clock), itself included; a seed stopped gracefully deletes its row. The
 * count is what a seed divides allocator-service's plan by ({@code UploadSplit}): the plan is made for the seeds'
 * total upload. While the database cannot be reached the last count is kept. Gauge
 * {@code bootswarm.seed.replicas}.
 */
@Component
@EnableConfigurationProperties(ReplicaSettings.class)
public class SeedReplicas implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(SeedReplicas.class);

    private final JdbcTemplate jdbc;
    private final ReplicaSettings settings;
    private final String id;
    private volatile int live = 1;
    private volatile boolean failing;
    private ScheduledExecutorService schedule;

    SeedReplicas(JdbcTemplate jdbc, ReplicaSettings settings, SeedIdentity identity, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.settings = settings;
        this.id = identity.id();
        Gauge.builder("bootswarm.seed.replicas", this, SeedReplicas::live)
                .description("live seed replicas sharing this seed's catalog, itself included").register(meters);
    }

    @Override
    public void afterSingletonsInstantiated() {
        beat();
        long every = settings.heartbeatInterval().toMillis();
        schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("seed-replicas")
                .factory());
        schedule.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
    }

    /** Renews this seed's row and counts the live ones; never throws. */
    void beat() {
        try {
            jdbc.update("insert into seed_replica (id, heartbeat_at) values (?, now()) "
                    + "on conflict (id) do update set heartbeat_at = now()", id);
            Integer n = jdbc.queryForObject("select count(*) from seed_replica "
                    + "where heartbeat_at > now() - make_interval(secs => ?)", Integer.class,
                    settings.lease().toMillis() / 1000.0);
            int count = Math.max(1, n == null ? 1 : n);
            if (count != live) {
                log.info("{} live seed replica(s) share this catalog (were {})", count, live);
                live = count;
            }
            failing = false;
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("cannot count the seed replicas, keeping {}: {}", live, e.toString());
            }
        }
    }

    /** The live seed replicas, this one included: at least 1. */
    public int live() {
        return live;
    }

    @Override
    public void destroy() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
        try {
            jdbc.update("delete from seed_replica where id = ?", id);
        } catch (RuntimeException e) {
            log.debug("could not delete this seed's replica row: {}", e.toString());
        }
    }
}
