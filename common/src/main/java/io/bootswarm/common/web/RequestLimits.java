package io.bootswarm.common.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code bootswarm.web.*}: bounds on what a REST caller may send to any bootswarm service.
 *
 * @param maxJsonBody largest JSON request body ({@code application/json}, {@code application/*+json}) accepted;
 *                    a larger one is answered 413 with a {@code body-too-large} problem before it is parsed (1 MiB).
 *                    Bodies of other types (image and trace uploads, which stream) have their own limits.
 */
@ConfigurationProperties("bootswarm.web")
public record RequestLimits(@DefaultValue("1MB") DataSize maxJsonBody) {

    public RequestLimits {
        if (maxJsonBody == null || maxJsonBody.toBytes() <= 0 || maxJsonBody.toBytes() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bootswarm.web.max-json-body must be 1 byte to 2 GiB, got " + maxJsonBody);
        }
    }
}
