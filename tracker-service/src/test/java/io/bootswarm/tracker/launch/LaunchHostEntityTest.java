package io.bootswarm.tracker.launch;

import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.events.LaunchStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class LaunchHostEntityTest {

    private final UUID launch = UUID.randomUUID();
    private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    private LaunchStatus status(LaunchStatus.State state, long seq, String uri, int present) {
        return new LaunchStatus(UUID.randomUUID(), t0, launch, "host-a", state, seq, uri, null, present, 100, present * 10L,
                null);
    }

    @Test
    void onlyANewerSequenceChangesTheRow() {
        LaunchHostEntity row = new LaunchHostEntity(new LaunchHostKey(launch, "host-a"), 0, t0);
        assertThat(row.state()).isEqualTo(HostLaunchState.PENDING);

        assertThat(row.apply(status(LaunchStatus.State.PREPARING, 0, null, 5), t0.plusSeconds(1))).isTrue();
        assertThat(row.apply(status(LaunchStatus.State.READY, 2, "nbd://h:10809/x", 50), t0.plusSeconds(2))).isTrue();
        // late and repeated reports
        assertThat(row.apply(status(LaunchStatus.State.PREPARING, 1, null, 20), t0.plusSeconds(3))).isFalse();
        assertThat(row.apply(status(LaunchStatus.State.READY, 2, "nbd://other/x", 99), t0.plusSeconds(3))).isFalse();

        LaunchHostView v = row.view();
        assertThat(v.state()).isEqualTo(HostLaunchState.READY);
        assertThat(v.nbdUri()).isEqualTo("nbd://h:10809/x");
        assertThat(v.piecesPresent()).isEqualTo(50);
        assertThat(v.bytesFetched()).isEqualTo(500);
        assertThat(v.updatedAt()).isEqualTo(t0.plusSeconds(2));
        assertThat(row.sequence()).isEqualTo(2);
    }

    @Test
    void fingerprintIgnoresHostOrderButNotHostsOrImage() {
        UUID image = UUID.randomUUID();
        String ab = LaunchService.fingerprint(new LaunchRequest(image, List.of("a", "b"), null));
        assertThat(LaunchService.fingerprint(new LaunchRequest(image, List.of("b", "a"), null))).isEqualTo(ab);
        assertThat(LaunchService.fingerprint(new LaunchRequest(image, List.of("a"), null))).isNotEqualTo(ab);
        assertThat(LaunchService.fingerprint(new LaunchRequest(UUID.randomUUID(), List.of("a", "b"), null))).isNotEqualTo(ab);
        // the options count, with defaults resolved: explicit defaults are the same request as none
        assertThat(LaunchService.fingerprint(new LaunchRequest(image, List.of("a", "b"),
                new LaunchOptionsBody(null, LaunchOptions.Policy.DEMAND, null, null)))).isNotEqualTo(ab);
        assertThat(LaunchService.fingerprint(new LaunchRequest(image, List.of("a", "b"),
                new LaunchOptionsBody("default", LaunchOptions.Policy.PROFILE, 32, false)))).isEqualTo(ab);
    }

    /** Fingerprints are stored with launches: a retry after an upgrade must still match the one made before. */
    @Test
    void fingerprintIsTheOneStoredBefore() throws Exception {
        UUID image = UUID.fromString("6a8b4c7e-1f2d-4e3a-9b5c-0d1e2f3a4b5c");
        String canonical = image + "\nLaunchOptions[workload=default, policy=PROFILE, window=32, backgroundFill=false]\na\nb";
        assertThat(LaunchService.fingerprint(new LaunchRequest(image, List.of("b", "a"), null))).isEqualTo(
                java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }
}
