package io.bootswarm.agent;

import io.bootswarm.agent.launch.Disks;
import io.bootswarm.agent.manifest.SigningSeed;
import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.nbd.NbdServer;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's early start on the data directory of an agent that ran before: with the seed, the
 * tracker and Kafka all unreachable and no application context, the NBD server serves the disk
 * (with its flushed writes) over TCP; the agent's configuration then takes over the same server
 * and the same device.
 */
class EarlyStartIT {

    private static final int PIECE = Manifest.DEFAULT_PIECE_SIZE;

    @TempDir
    Path tmp;

    @Test
    void aRestartedAgentServesItsDisksBeforeTheApplicationWithNothingElseReachable() throws Exception {
        Path data = tmp.resolve("agent");
        byte[] image = new byte[3 * PIECE];
        new Random(9).nextBytes(image);
        Manifest manifest = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), "early-it");
        Map<String, Object> props = new LinkedHashMap<>(Map.of(
                "bootswarm.agent.data-directory", data.toString(),
                "bootswarm.agent.host-name", "early-it", "bootswarm.agent.advertised-host", "127.0.0.1",
                "bootswarm.agent.tracker-url", "http://127.0.0.1:9", "bootswarm.agent.profile-url", "http://127.0.0.1:9",
                "bootswarm.agent.peer-port", "0", "bootswarm.agent.nbd.port", "0",
                "bootswarm.agent.report.enabled", "false"));
        byte[] written = new byte[4096];
        new Random(10).nextBytes(written);
        UUID launch = UUID.randomUUID();
        try (SigningSeed seed = new SigningSeed().serve(manifest)) {
            props.put("bootswarm.agent.seed-url", seed.url());
            agent(props).run(ctx -> {
                assertThat(ctx).hasNotFailed();
                Disks.OpenDisk d = ctx.getBean(Disks.class).create(manifest.imageId(), launch,
                        new LaunchOptions(null, LaunchOptions.Policy.DEMAND, null, false));
                d.disk().write(PIECE, ByteBuffer.wrap(written));
                d.disk().flush();
            });
        }

        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", props));
        EarlyStart.Started early = EarlyStart.start(env);
        assertThat(early).as("early start").isNotNull();
        try {
            assertThat(readOverNbd(early.nbd().tcpPort(), launch.toString(), PIECE, written.length))
                    .as("the flushed write, over NBD before any bean exists").isEqualTo(written);
            BlockDevice device = early.exports().find(launch.toString()).orElseThrow();

            agent(props).withBean(EarlyStart.Started.class, () -> early).run(ctx -> {
                assertThat(ctx).hasNotFailed();
                assertThat(ctx.getBean(NbdServer.class)).isSameAs(early.nbd());
                assertThat(ctx.getBean(Disks.class).export(launch.toString())).containsSame(device);
                assertThat(early.exports().find(launch.toString())).containsSame(device);
                assertThat(readOverNbd(early.nbd().tcpPort(), launch.toString(), PIECE, written.length))
                        .isEqualTo(written);
            });
        } finally {
            early.close();
        }
    }

    private static ApplicationContextRunner agent(Map<String, Object> props) {
        return new ApplicationContextRunner()
                .withUserConfiguration(AgentFilesIT.Infrastructure.class, AgentConfiguration.class)
                .withPropertyValues(props.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .toArray(String[]::new));
    }

    /** One READ with the plainest NBD client: fixed newstyle, NBD_OPT_EXPORT_NAME, no zeroes. */
    private static byte[] readOverNbd(int port, String export, long offset, int length) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            assertThat(in.readLong()).isEqualTo(0x4e42444d41474943L);
            assertThat(in.readLong()).isEqualTo(0x49484156454F5054L);
            in.readUnsignedShort();
            out.writeInt(0b11);
            byte[] name = export.getBytes(StandardCharsets.UTF_8);
            out.writeLong(0x49484156454F5054L);
            out.writeInt(1);
            out.writeInt(name.length);
            out.write(name);
            out.flush();
            in.readLong();
            in.readUnsignedShort();
            out.writeInt(0x25609513);
            out.writeShort(0);
            out.writeShort(0);
            out.writeLong(7);
            out.writeLong(offset);
            out.writeInt(length);
            out.flush();
            assertThat(in.readInt()).isEqualTo(0x67446698);
            assertThat(in.readInt()).as("NBD error").isZero();
            assertThat(in.readLong()).isEqualTo(7);
            return in.readNBytes(length);
        }
    }
}
