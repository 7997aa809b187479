package io.bootswarm.common.web;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/** Registers {@link ProblemHandler} and the {@link JsonBodyLimitFilter} in every bootswarm web service. */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(RequestLimits.class)
@Import(ProblemHandler.class)
public class ProblemAutoConfiguration {

    @Bean
    JsonBodyLimitFilter jsonBodyLimitFilter(RequestLimits limits, ObjectProvider<MeterRegistry> meters) {
        return new JsonBodyLimitFilter(limits, meters.getIfAvailable());
    }
}
