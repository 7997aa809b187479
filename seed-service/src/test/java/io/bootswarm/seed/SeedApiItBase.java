package io.bootswarm.seed;

import io.bootswarm.seed.imports.ImportThrottle;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * One running seed-service (real PostgreSQL and Kafka, its own storage directory) shared by the
 * REST, import and peer wire integration tests. The image size limit is 80 MiB (room for the
 * 64 MiB test image, small enough to overrun quickly). Path imports read at 64 MB/s on
 * {@link #IMPORT_CLOCK}, which only tests move: an import reads its burst (3.2 MB) and then holds until
 * a test moves the clock, so its progress is seen at a byte count, not sampled in time.
 */
@Import(SeedApiItBase.HandMovedImportClock.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=seed-service",
        "bootswarm.seed.max-image-size=80MB",
        "bootswarm.seed.path-import-rate=64MB",
})
public abstract class SeedApiItBase {

    protected static final long MAX_IMAGE_SIZE = 80L * 1024 * 1024;
    /** What the path imports' {@link ImportThrottle} refills by. */
    protected static final ManualClock IMPORT_CLOCK = new ManualClock();
    protected static final Path STORAGE = SeedTestSupport.newStorageDir();
    private static final String DATABASE = SeedTestSupport.newDatabase();

    @TestConfiguration(proxyBeanMethods = false)
    static class HandMovedImportClock {
        /** The seed's own throttle, on {@link #IMPORT_CLOCK} (its meters in a registry of its own). */
        @Bean
        @Primary
        ImportThrottle handMovedImportThrottle(SeedProperties properties) {
            return new ImportThrottle(properties.pathImportRate().toBytes(), IMPORT_CLOCK, new SimpleMeterRegistry());
        }
    }

    @DynamicPropertySource
    static void seedProperties(DynamicPropertyRegistry registry) {
        SeedTestSupport.register(registry, DATABASE, STORAGE);
    }

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    protected Api api;

    @BeforeEach
    void api() {
        api = new Api(port);
    }

    /** What a rejected request must leave as it was. */
    protected record CatalogState(int images, int imports, List<String> imageFiles, List<String> tmpFiles) {
    }

    protected CatalogState catalogState() {
        return new CatalogState(
                jdbc.queryForObject("select count(*) from image", Integer.class),
                jdbc.queryForObject("select count(*) from image_import", Integer.class),
                files(STORAGE.resolve("images")), files(STORAGE.resolve("tmp")));
    }

    protected static List<String> files(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
