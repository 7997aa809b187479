package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchCommand;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tracker queues only launch commands an agent can carry out. */
class LaunchCommandCompletenessTest {

    private static final UUID LAUNCH = UUID.randomUUID();
    private static final UUID IMAGE = UUID.randomUUID();

    @Test
    void aCompleteCommandPasses() {
        LaunchCommand c = new LaunchCommand(UUID.randomUUID(), Instant.now(), LAUNCH, "host-a", IMAGE,
                LaunchCommand.Action.START);

        assertThat(LaunchService.complete(c)).isSameAs(c);
    }

    @Test
    void aCommandWithANullFieldIsRefusedNamingTheField() {
        assertThatThrownBy(() -> LaunchService.complete(new LaunchCommand(UUID.randomUUID(), Instant.now(), LAUNCH,
                "host-a", null, LaunchCommand.Action.START)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[imageId]");
        assertThatThrownBy(() -> LaunchService.complete(new LaunchCommand(UUID.randomUUID(), Instant.now(), null,
                " ", IMAGE, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[launchId, host, action]");
    }
}
