package io.bootswarm.allocator.leader;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeaderPropertiesTest {

    @Test
    void aBlankInstanceIdBecomesTheHostAndProcess() {
        LeaderProperties p = new LeaderProperties(true, " ", Duration.ofSeconds(5), Duration.ofSeconds(1));

        assertThat(p.instance()).isNotBlank().endsWith("-" + ProcessHandle.current().pid());
        assertThat(new LeaderProperties(true, " a-1 ", Duration.ofSeconds(5), Duration.ofSeconds(1)).instance())
                .isEqualTo("a-1");
    }

    @Test
    void aRenewIntervalLongerThanHalfTheLeaseIsRefused() {
        assertThat(new LeaderProperties(true, "a", Duration.ofSeconds(2), Duration.ofSeconds(1)).renewInterval())
                .isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> new LeaderProperties(true, "a", Duration.ofSeconds(2), Duration.ofMillis(1001)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renew-interval");
        assertThatThrownBy(() -> new LeaderProperties(true, "a", Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
