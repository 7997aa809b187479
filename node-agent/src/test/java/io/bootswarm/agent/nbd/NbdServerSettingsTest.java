package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

class NbdServerSettingsTest {

    @Test
    void validatesLimits() {
        NbdServerSettings s = NbdServerSettings.tcp("127.0.0.1", 0);
        assertThat(s.withUnixSocket(Path.of("/tmp/x.sock")).withTcp(null, 0).unixSocket()).isEqualTo(Path.of("/tmp/x.sock"));
        assertThatThrownBy(() -> s.withTcp(null, 0)).hasMessageContaining("no listener");
        assertThatThrownBy(() -> s.withTcp("127.0.0.1", 70000)).hasMessageContaining("tcpPort");
        assertThatThrownBy(() -> s.withPreferredBlockSize(1000)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> s.withPreferredBlockSize(256)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> s.withLimits(1, 1, 1 << 20)).hasMessageContaining("maxBytesInFlight");
        assertThatThrownBy(() -> s.withLimits(0, 1, 64 << 20)).hasMessageContaining("maxConnections");
    }

    @Test
    void registryRejectsNamesTheProtocolCannotCarry() {
        ExportRegistry r = new ExportRegistry();
        MemoryBlockDevice d = new MemoryBlockDevice(512);
        assertThatThrownBy(() -> r.put("", d)).hasMessageContaining("empty");
        assertThatThrownBy(() -> r.put("a\0b", d)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> r.put("é".repeat(2049), d)).hasMessageContaining("4096");
        r.put("b", d);
        r.put("a", d);
        assertThat(r.names()).containsExactly("a", "b");
        assertThat(r.remove("a")).contains(d);
        assertThat(r.find("a")).isEmpty();
    }
}
