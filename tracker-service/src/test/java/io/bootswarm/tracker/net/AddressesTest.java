package io.bootswarm.tracker.net;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class AddressesTest {

    private static String text(String literal) {
        return Addresses.text(InetAddress.ofLiteral(literal));
    }

    @Test
    void ipv6IsWrittenInItsRfc5952Form() {
        assertThat(text("0:0:0:0:0:0:0:1")).isEqualTo("::1");
        assertThat(text("0:0:0:0:0:0:0:0")).isEqualTo("::");
        assertThat(text("2001:0DB8:0000:0000:0000:0000:0000:0001")).isEqualTo("2001:db8::1");
        assertThat(text("1:0:0:0:0:0:0:0")).isEqualTo("1::");
        // a single zero group stays; of two equal runs the first is shortened; the longest run wins
        assertThat(text("2001:db8:0:1:1:1:1:1")).isEqualTo("2001:db8:0:1:1:1:1:1");
        assertThat(text("2001:db8:0:0:1:0:0:1")).isEqualTo("2001:db8::1:0:0:1");
        assertThat(text("2001:0:0:1:0:0:0:1")).isEqualTo("2001:0:0:1::1");
        assertThat(text("fe80::1%1")).isEqualTo("fe80::1");
    }

    @Test
    void ipv4AndIpv4MappedAreDottedQuads() {
        assertThat(text("192.0.2.1")).isEqualTo("192.0.2.1");
        assertThat(text("::ffff:192.0.2.1")).isEqualTo("192.0.2.1");
    }

    @Test
    void literalsParseWithoutLookupAndNamesDoNot() {
        assertThat(Addresses.literal("[::1]")).contains(InetAddress.ofLiteral("::1"));
        assertThat(Addresses.literal("10.0.0.1")).contains(InetAddress.ofLiteral("10.0.0.1"));
        assertThat(Addresses.literal("localhost")).isEmpty();
        assertThat(Addresses.literal("agent-1")).isEmpty();
    }
}
