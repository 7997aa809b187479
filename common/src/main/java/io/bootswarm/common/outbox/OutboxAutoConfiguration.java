package io.bootswarm.common.outbox;

import io.bootswarm.common.time.MonotonicClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.InstantSource;

/** The {@link Outbox} and its relay, for services that set {@code bootswarm.outbox.enabled=true}. */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration",
        "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration"})
@ConditionalOnClass({JdbcTemplate.class, KafkaTemplate.class})
@ConditionalOnProperty(prefix = "bootswarm.outbox", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(OutboxProperties.class)
public class OutboxAutoConfiguration {

    @Bean(initMethod = "start", destroyMethod = "close")
    OutboxRelay outboxRelay(JdbcTemplate jdbc, PlatformTransactionManager txManager,
                            KafkaTemplate<String, String> kafka, OutboxProperties properties,
                            ObjectProvider<MeterRegistry> meters, ObjectProvider<InstantSource> clock) {
        // a service without a meter registry (no actuator) still gets a working relay; an InstantSource
        // (or Clock) bean, where the service has one, paces the clean-up
        return new OutboxRelay(jdbc, new TransactionTemplate(txManager), kafka, properties,
                meters.getIfAvailable(SimpleMeterRegistry::new), clock.getIfUnique(MonotonicClock::system));
    }

    @Bean
    Outbox outbox(JdbcTemplate jdbc, OutboxRelay relay) {
        return new Outbox(jdbc, relay);
    }
}
