package io.bootswarm.tracker.net;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CidrTest {

    private static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    @Test
    void anIpv4NetworkContainsTheAddressesUnderItsPrefix() {
        Cidr net = Cidr.of("10.128.0.0/9");
        assertThat(net.contains(ip("10.128.0.0"))).isTrue();
        assertThat(net.contains(ip("10.200.3.4"))).isTrue();
        assertThat(net.contains(ip("10.255.255.255"))).isTrue();
        assertThat(net.contains(ip("10.127.255.255"))).isFalse();
        assertThat(net.contains(ip("11.128.0.0"))).isFalse();
        assertThat(net.toString()).isEqualTo("10.128.0.0/9");
    }

    @Test
    void anIpv6NetworkContainsTheAddressesUnderItsPrefix() {
        Cidr net = Cidr.of("2001:db8:abcd:0010::/61");
        assertThat(net.contains(ip("2001:db8:abcd:10::1"))).isTrue();
        assertThat(net.contains(ip("2001:db8:abcd:17:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(net.contains(ip("2001:db8:abcd:18::"))).isFalse();
        assertThat(net.contains(ip("2001:db8:abcd:f::"))).isFalse();
        assertThat(net.toString()).isEqualTo("2001:db8:abcd:10::/61");
        assertThat(Cidr.of("fd00::/8").contains(ip("fdff::1"))).isTrue();
        assertThat(Cidr.of("fd00::/8").contains(ip("fc00::1"))).isFalse();
    }

    @Test
    void slashZeroContainsEveryAddressOfItsFamilyOnly() {
        assertThat(Cidr.of("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
        assertThat(Cidr.of("0.0.0.0/0").contains(ip("::1"))).isFalse();
        assertThat(Cidr.of("::/0").contains(ip("2001:db8::1"))).isTrue();
        assertThat(Cidr.of("::/0").contains(ip("127.0.0.1"))).isFalse();
    }

    @Test
    void aFullLengthPrefixOrABareAddressIsThatAddressAlone() {
        assertThat(Cidr.of("192.0.2.7/32").contains(ip("192.0.2.7"))).isTrue();
        assertThat(Cidr.of("192.0.2.7/32").contains(ip("192.0.2.6"))).isFalse();
        assertThat(Cidr.of("192.0.2.7")).isEqualTo(Cidr.of("192.0.2.7/32"));
        assertThat(Cidr.of("::1/128").contains(ip("::1"))).isTrue();
        assertThat(Cidr.of("::1/128").contains(ip("::2"))).isFalse();
        assertThat(Cidr.of("::1")).isEqualTo(Cidr.of("::1/128"));
    }

    @Test
    void anIpv4MappedAddressIsMatchedAsIpv4() {
        assertThat(Cidr.of("10.0.0.0/8").contains(ip("::ffff:10.1.2.3"))).isTrue();
    }

    @Test
    void malformedNetworksAreRejectedWithTheTextAndTheReason() {
        assertThatThrownBy(() -> Cidr.of("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'10.0.0.0/33' is not a CIDR network (like 10.0.0.0/8 or fd00::/8): the prefix length "
                        + "must be 0-32");
        assertThatThrownBy(() -> Cidr.of("fd00::/129")).hasMessageContaining("must be 0-128");
        assertThatThrownBy(() -> Cidr.of("10.0.0.0/-1")).hasMessageContaining("must be 0-32");
        assertThatThrownBy(() -> Cidr.of("10.0.0.0/")).hasMessageContaining("must be 0-32");
        assertThatThrownBy(() -> Cidr.of("10.0.0.0/8/8")).hasMessageContaining("must be 0-32");
        assertThatThrownBy(() -> Cidr.of("10.0.0/8")).hasMessageContaining("not an IPv4 (a.b.c.d) or IPv6 address");
        assertThatThrownBy(() -> Cidr.of("10.0.0.256/32")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> Cidr.of("example.com/8")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> Cidr.of("")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> Cidr.of(" 10.0.0.0/8")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> Cidr.of("fe80::1%1/64")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> Cidr.of("fd00:::/8")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> Cidr.of("::ffff:10.0.0.0/104")).hasMessageContaining("write the IPv4 network");
    }

    @Test
    void aNetworkWithBitsBeyondItsPrefixIsRejectedNamingTheNetwork() {
        assertThatThrownBy(() -> Cidr.of("10.1.2.3/8"))
                .hasMessage("'10.1.2.3/8' is not a CIDR network (like 10.0.0.0/8 or fd00::/8): bits are set beyond "
                        + "the prefix; the network is 10.0.0.0/8");
        assertThatThrownBy(() -> Cidr.of("fd00::1/8")).hasMessageContaining("the network is fd00::/8");
        assertThatThrownBy(() -> Cidr.of("2001:db8:abcd:0012::/61")).hasMessageContaining("the network is 2001:db8:abcd:10::/61");
    }
}
