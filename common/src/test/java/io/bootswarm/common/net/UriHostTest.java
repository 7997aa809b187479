package io.bootswarm.common.net;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

class UriHostTest {

    @Test
    void ipv6AddressesAreBracketedOnce() {
        assertThat(UriHost.of("::1")).isEqualTo("[::1]");
        assertThat(UriHost.of("[::1]")).isEqualTo("[::1]");
        assertThat(UriHost.of("fe80::1%eth0")).isEqualTo("[fe80::1%eth0]");
        assertThat(URI.create("http://" + UriHost.of("2001:db8::7") + ":8082").getPort()).isEqualTo(8082);
    }

    @Test
    void namesAndIpv4AddressesAreLeftAsTheyAre() {
        assertThat(UriHost.of("10.0.1.7")).isEqualTo("10.0.1.7");
        assertThat(UriHost.of("host-a.example")).isEqualTo("host-a.example");
    }
}
