package io.bootswarm.tracker.launch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LaunchStateTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "PENDING,                   PENDING",
            "PENDING PENDING,           PENDING",
            "PENDING PREPARING,         PREPARING",
            "PENDING READY,             PREPARING",
            "READY PREPARING,           PREPARING",
            "FAILED PREPARING,          PREPARING",
            "FAILED PENDING,            PREPARING",
            "READY,                     READY",
            "READY READY READY,         READY",
            "READY FAILED,              PARTIAL",
            "READY STOPPED,             PARTIAL",
            "READY FAILED STOPPED,      PARTIAL",
            "FAILED,                    FAILED",
            "FAILED FAILED,             FAILED",
            "FAILED STOPPED,            FAILED",
            "STOPPED,                   STOPPED",
            "STOPPED STOPPED,           STOPPED",
            "STOPPED PENDING,           PREPARING",
    })
    void derivesOverallStateFromHostStates(String hosts, LaunchState expected) {
        List<HostLaunchState> states = Arrays.stream(hosts.trim().split(" +")).map(HostLaunchState::valueOf).toList();
        assertThat(LaunchState.derive(states)).isEqualTo(expected);
    }

    @Test
    void aLaunchWithoutHostsHasNoState() {
        assertThatThrownBy(() -> LaunchState.derive(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
