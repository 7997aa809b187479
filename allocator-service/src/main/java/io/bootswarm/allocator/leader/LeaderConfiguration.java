package io.bootswarm.allocator.leader;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;

/** The leadership of this instance: elected through PostgreSQL, or alone when election is disabled. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(LeaderProperties.class)
class LeaderConfiguration {

    @Bean
    @ConditionalOnProperty(name = "bootswarm.allocator.leader.enabled", havingValue = "true", matchIfMissing = true)
    LeaderElection leaderElection(JdbcTemplate jdbc, LeaderProperties properties, Clock clock, MeterRegistry meters) {
        return new LeaderElection(new JdbcLeaseTable(jdbc), properties, clock, meters);
    }

    @Bean
    @ConditionalOnProperty(name = "bootswarm.allocator.leader.enabled", havingValue = "false")
    Leadership aloneLeadership(LeaderProperties properties) {
        return Leadership.alone(properties.instance());
    }
}
