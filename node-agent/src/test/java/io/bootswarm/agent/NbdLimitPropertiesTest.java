package io.bootswarm.agent;

import io.bootswarm.agent.nbd.NbdServerSettings;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NbdLimitPropertiesTest {

    static final long GIB = 1L << 30;
    final NbdServerSettings tcp = NbdServerSettings.tcp("127.0.0.1", 0);

    @Test
    void defaultsBoundBufferMemoryByTheJvmsDirectMemory() {
        NbdServerSettings s = new NbdLimitProperties(null, null, null, null).applyTo(tcp, 2 * GIB);
        assertThat(s.maxConnections()).isEqualTo(1024);
        assertThat(s.maxBytesInFlight()).isEqualTo(64 << 20);
        assertThat(s.maxBufferBytes()).isEqualTo(GIB / 2);
    }

    @Test
    void anExplicitMaximumIsTaken() {
        assertThat(new NbdLimitProperties(8, 16, DataSize.ofMegabytes(32), DataSize.ofMegabytes(256))
                .applyTo(tcp, 2 * GIB).maxBufferBytes()).isEqualTo(256L << 20);
    }

    @Test
    void startRefusesBufferMemoryTheJvmCannotGiveOrTooSmallForOneRequest() {
        assertThatThrownBy(() -> new NbdLimitProperties(null, null, null, DataSize.ofGigabytes(64)).applyTo(tcp, 2 * GIB))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bootswarm.agent.nbd.limits.max-buffer-memory");
        assertThatThrownBy(() -> new NbdLimitProperties(null, null, null, DataSize.ofMegabytes(16)).applyTo(tcp, 2 * GIB))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("max-buffer-memory=16777216B")
                .hasMessageContaining("maxBufferBytes must be >=");
        assertThatThrownBy(() -> new NbdLimitProperties(0, null, null, null).applyTo(tcp, 2 * GIB))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("max-connections=0");
    }
}
