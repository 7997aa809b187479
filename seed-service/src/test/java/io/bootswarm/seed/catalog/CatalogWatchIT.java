package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.seed.SeedApiItBase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watch another seed replica runs, looked at by hand (its own schedule is an hour): an image added and deleted
 * between two looks, which that replica served meanwhile (a handshake found it), is told as removed, so the
 * replica stops serving it. The clean-clone CI failed {@code SeedReplicasIT} on this: upload, fetch and delete took
 * less than one watch interval, the catalog's fingerprint was back to the one last seen, and the other replica went
 * on serving the deleted image.
 */
class CatalogWatchIT extends SeedApiItBase {

    @Autowired
    PieceIndex pieces;

    private final List<Object> published = new ArrayList<>();

    private CatalogWatch otherReplicasWatch() {
        CatalogWatch watch = new CatalogWatch(jdbc, published::add, pieces,
                new CatalogSettings(Duration.ofHours(1)), new SimpleMeterRegistry());
        watch.afterSingletonsInstantiated();
        return watch;
    }

    private record Uploaded(UUID id, String name, SwarmId swarm) {
    }

    private Uploaded upload() {
        byte[] bytes = new byte[300 * 1024];
        new Random().nextBytes(bytes);
        String name = "it-watch-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> created = api.upload(name, bytes);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return new Uploaded(UUID.fromString(json(created).get("id").asString()), name,
                SwarmId.parse(json(created).get("swarmId").asString()));
    }

    @Test
    void anImageServedAndDeletedBetweenTwoLooksIsToldAsRemoved() {
        CatalogWatch watch = otherReplicasWatch();
        try {
            Uploaded image = upload();
            watch.lookedUp(image.id(), image.name(), image.swarm());
            assertThat(api.delete("/api/v1/images/" + image.id()).statusCode()).isEqualTo(204);

            watch.poll();

            assertThat(published).filteredOn(ImageRemoved.class::isInstance).map(ImageRemoved.class::cast)
                    .singleElement().satisfies(r -> {
                        assertThat(r.imageId()).isEqualTo(image.id());
                        assertThat(r.swarmId()).isEqualTo(image.swarm());
                    });
        } finally {
            watch.destroy();
        }
    }

    @Test
    void anImageNeverServedAndDeletedBetweenTwoLooksIsNotToldAtAll() {
        CatalogWatch watch = otherReplicasWatch();
        try {
            Uploaded image = upload();
            assertThat(api.delete("/api/v1/images/" + image.id()).statusCode()).isEqualTo(204);

            watch.poll();

            assertThat(published).as("the fingerprint is back to the last one seen: nothing to tell").isEmpty();
        } finally {
            watch.destroy();
        }
    }

    @Test
    void anImageAddedElsewhereIsToldAsAddedEvenAfterALookup() {
        CatalogWatch watch = otherReplicasWatch();
        Uploaded image = upload();
        try {
            watch.lookedUp(image.id(), image.name(), image.swarm());

            watch.poll();

            assertThat(published).filteredOn(CatalogChanged.class::isInstance).map(CatalogChanged.class::cast)
                    .singleElement().satisfies(c -> {
                        assertThat(c.imageId()).isEqualTo(image.id());
                        assertThat(c.added()).isTrue();
                    });
            assertThat(published).noneMatch(ImageRemoved.class::isInstance);
        } finally {
            api.delete("/api/v1/images/" + image.id());
            watch.destroy();
        }
    }

    @Test
    void aLookReadsTheDatabaseWithoutHoldingTheMonitorALookupWaitsFor() {
        // a lookup waits for the monitor while its transaction holds a connection: a look that took a connection
        // while it held the monitor could wait for the pool with every connection held by lookups waiting for it
        CatalogWatch[] watch = new CatalogWatch[1];
        List<Boolean> monitorHeld = new ArrayList<>();
        org.springframework.jdbc.core.JdbcTemplate recording =
                new org.springframework.jdbc.core.JdbcTemplate(jdbc.getDataSource()) {
                    @Override // queryForObject (the fingerprint) comes here too
                    public <T> List<T> query(String sql, org.springframework.jdbc.core.RowMapper<T> rowMapper) {
                        monitorHeld.add(watch[0] != null && Thread.holdsLock(watch[0]));
                        return super.query(sql, rowMapper);
                    }
                };
        watch[0] = new CatalogWatch(recording, published::add, pieces, new CatalogSettings(Duration.ofHours(1)),
                new SimpleMeterRegistry());
        watch[0].afterSingletonsInstantiated();
        Uploaded image = upload();
        try {
            monitorHeld.clear();

            watch[0].poll();

            assertThat(monitorHeld).as("the fingerprint, then the images (the fingerprint changed)")
                    .containsExactly(false, false);
            assertThat(published).filteredOn(CatalogChanged.class::isInstance).map(CatalogChanged.class::cast)
                    .singleElement().satisfies(c -> assertThat(c.imageId()).isEqualTo(image.id()));
        } finally {
            api.delete("/api/v1/images/" + image.id());
            watch[0].destroy();
        }
    }
}
