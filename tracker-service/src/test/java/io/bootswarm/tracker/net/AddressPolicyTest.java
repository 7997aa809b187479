package io.bootswarm.tracker.net;

import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.bootswarm.tracker.net.AddressPolicy.Endpoint.BITTORRENT_ANNOUNCE;
import static io.bootswarm.tracker.net.AddressPolicy.Endpoint.JSON_ANNOUNCE;
import static io.bootswarm.tracker.net.AddressPolicy.Endpoint.SEED_REGISTRATION;
import static org.assertj.core.api.Assertions.assertThat;

class AddressPolicyTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private AddressPolicy policy(String... trusted) {
        return new AddressPolicy(new TrackerProperties(null, null, null, 0, 0, null, null, null, null, 0, 0, null, null,
                null, new TrackerProperties.Announce(List.of(trusted).stream().map(Cidr::of).toList()), null), meters);
    }

    private double overridden(AddressPolicy.Endpoint endpoint) {
        return meters.counter("bootswarm.tracker.announce.address.overridden", "endpoint",
                endpoint.name().toLowerCase().replace('_', '-')).count();
    }

    @Test
    void anUntrustedCallerIsStoredAtItsSourceAddressAndTheClaimCounted() {
        AddressPolicy policy = policy();
        assertThat(policy.peerHost("10.1.2.3", "198.51.100.7", JSON_ANNOUNCE)).isEqualTo("198.51.100.7");
        assertThat(policy.peerHost("agent-1", "172.18.0.5", SEED_REGISTRATION)).isEqualTo("172.18.0.5");
        assertThat(overridden(JSON_ANNOUNCE)).isEqualTo(1);
        assertThat(overridden(SEED_REGISTRATION)).isEqualTo(1);
        assertThat(overridden(BITTORRENT_ANNOUNCE)).isZero();
    }

    @Test
    void claimingTheSourceAddressOrNothingIsNoOverride() {
        AddressPolicy policy = policy();
        assertThat(policy.peerHost("127.0.0.1", "127.0.0.1", JSON_ANNOUNCE)).isEqualTo("127.0.0.1");
        assertThat(policy.peerHost("[::1]", "0:0:0:0:0:0:0:1", JSON_ANNOUNCE)).isEqualTo("::1");
        assertThat(policy.peerHost(null, "0:0:0:0:0:0:0:1", BITTORRENT_ANNOUNCE)).isEqualTo("::1");
        assertThat(overridden(JSON_ANNOUNCE)).isZero();
        assertThat(overridden(BITTORRENT_ANNOUNCE)).isZero();
    }

    @Test
    void aCallerFromATrustedNetworkKeepsItsClaim() {
        AddressPolicy policy = policy("10.0.0.0/8", "fd00::/8");
        assertThat(policy.peerHost("203.0.113.40", "10.9.8.7", JSON_ANNOUNCE)).isEqualTo("203.0.113.40");
        assertThat(policy.peerHost("agent-7.example", "fd12::7", SEED_REGISTRATION)).isEqualTo("agent-7.example");
        assertThat(policy.peerHost(null, "10.9.8.7", BITTORRENT_ANNOUNCE)).isEqualTo("10.9.8.7");
        assertThat(policy.peerHost("203.0.113.40", "11.0.0.1", BITTORRENT_ANNOUNCE)).isEqualTo("11.0.0.1");
        assertThat(policy.peerHost("203.0.113.40", "fe80::1", BITTORRENT_ANNOUNCE)).isEqualTo("fe80::1");
        assertThat(overridden(JSON_ANNOUNCE) + overridden(SEED_REGISTRATION)).isZero();
        assertThat(overridden(BITTORRENT_ANNOUNCE)).isEqualTo(2);
    }
}
