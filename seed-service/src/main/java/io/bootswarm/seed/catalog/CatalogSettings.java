package io.bootswarm.seed.catalog;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.seed.catalog.*}.
 *
 * @param watchInterval how often the seed looks for catalog changes made by the other seed replicas sharing its
 *                      database (an image added or deleted, opened or closed to stock clients): the longest a
 *                      replica goes on serving an image deleted through another (1 s)
 */
@ConfigurationProperties("bootswarm.seed.catalog")
public record CatalogSettings(@DefaultValue("1s") Duration watchInterval) {

    public CatalogSettings {
        if (!watchInterval.isPositive()) {
            throw new IllegalArgumentException("bootswarm.seed.catalog.watch-interval must be positive, got "
                    + watchInterval);
        }
    }
}
