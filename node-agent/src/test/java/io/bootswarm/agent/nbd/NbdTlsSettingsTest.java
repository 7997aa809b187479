package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bootswarm.agent.AgentProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where TLS is required and where it comes from: a TCP listener beyond loopback without TLS is
 * refused before anything is bound; the agent's {@code bootswarm.agent.nbd.tls.*} properties and
 * their defaults; an {@link NbdTls} made from {@code spring.ssl.bundle.pem.*} properties.
 */
class NbdTlsSettingsTest {

    static TestPki pki;

    @BeforeAll
    static void createPki() throws Exception {
        pki = TestPki.shared();
    }

    @Test
    void aTcpListenerBeyondLoopbackNeedsTls() {
        for (String host : new String[] {"0.0.0.0", "::", "no-such-host.invalid"}) {
            NbdServer server = new NbdServer(NbdServerSettings.tcp(host, 0), new ExportRegistry());
            assertThatThrownBy(server::start).as(host).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("bootswarm.agent.nbd.tls.mode=require")
                    .hasMessageContaining("bootswarm.agent.nbd.tls.bundle");
            assertThat(server.tcpAddress()).isEmpty();
            server.close();
        }
    }

    @Test
    void loopbackAndTheUnixSocketNeedNoTlsAndAnyAddressMayServeTls(@TempDir Path dir) throws IOException {
        for (String host : new String[] {"127.0.0.1", "localhost", "127.0.0.2"}) {
            try (NbdServer server = new NbdServer(NbdServerSettings.tcp(host, 0), new ExportRegistry()).start()) {
                assertThat(server.tcpAddress()).as(host).isPresent();
            }
        }
        try (NbdServer server = new NbdServer(NbdServerSettings.unix(dir.resolve("nbd.sock")), new ExportRegistry())
                .start()) {
            assertThat(server.unixSocket()).isPresent();
        }
        try (NbdServer server = new NbdServer(NbdServerSettings.tcp("0.0.0.0", 0)
                .withTls(NbdTls.of(pki.serverBundle(false))), new ExportRegistry()).start()) {
            assertThat(server.tcpAddress().orElseThrow().getAddress().isAnyLocalAddress()).isTrue();
        }
    }

    @Test
    void tlsIsOffByDefaultAndRequireNeedsABundle() throws IOException {
        var yaml = new YamlPropertySourceLoader().load("node-agent.yml", new ClassPathResource("node-agent.yml"));
        AgentProperties.Nbd nbd = new Binder(ConfigurationPropertySources.from(yaml))
                .bind("bootswarm.agent.nbd", AgentProperties.Nbd.class).get();
        assertThat(nbd.tls().mode()).isEqualTo(AgentProperties.Nbd.Tls.Mode.OFF);
        assertThat(nbd.tls().required()).isFalse();
        assertThat(new AgentProperties.Nbd(null, 0, null, null, 0, null, null).tls().required()).isFalse();
        assertThatThrownBy(() -> new AgentProperties.Nbd.Tls(AgentProperties.Nbd.Tls.Mode.REQUIRE, " "))
                .hasMessageContaining("bootswarm.agent.nbd.tls.bundle");
        assertThat(new AgentProperties.Nbd.Tls(AgentProperties.Nbd.Tls.Mode.REQUIRE, "nbd").required()).isTrue();
    }

    @Test
    void theServerIdentityComesFromAPemSslBundleAndATrustStoreTurnsOnPeerVerification() {
        Path server = pki.server();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class))
                .withPropertyValues(
                        "spring.ssl.bundle.pem.nbd.keystore.certificate=file:" + server.resolve("server-cert.pem"),
                        "spring.ssl.bundle.pem.nbd.keystore.private-key=file:" + server.resolve("server-key.pem"),
                        "spring.ssl.bundle.pem.nbd-mtls.keystore.certificate=file:" + server.resolve("server-cert.pem"),
                        "spring.ssl.bundle.pem.nbd-mtls.keystore.private-key=file:" + server.resolve("server-key.pem"),
                        "spring.ssl.bundle.pem.nbd-mtls.truststore.certificate=file:" + server.resolve("ca-cert.pem"),
                        "spring.ssl.bundle.pem.nbd-13.keystore.certificate=file:" + server.resolve("server-cert.pem"),
                        "spring.ssl.bundle.pem.nbd-13.keystore.private-key=file:" + server.resolve("server-key.pem"),
                        "spring.ssl.bundle.pem.nbd-13.truststore.certificate=file:" + server.resolve("ca-cert.pem"),
                        "spring.ssl.bundle.pem.nbd-13.options.enabled-protocols=TLSv1.3")
                .run(context -> {
                    SslBundles bundles = context.getBean(SslBundles.class);
                    NbdTls plain = NbdTls.of(bundles.getBundle("nbd"));
                    assertThat(plain.verifyPeer()).isFalse();
                    assertThat(plain.protocols()).isEmpty();
                    NbdTls mutual = NbdTls.of(bundles.getBundle("nbd-mtls"));
                    assertThat(mutual.verifyPeer()).isTrue();
                    assertThat(mutual.protocols()).containsExactly("TLSv1.2");
                    assertThat(NbdTls.of(bundles.getBundle("nbd-13")).protocols()).containsExactly("TLSv1.3");
                });
    }
}
