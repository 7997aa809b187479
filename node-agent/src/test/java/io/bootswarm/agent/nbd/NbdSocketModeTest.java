package io.bootswarm.agent.nbd;

import io.bootswarm.agent.files.TestGroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.util.stream.Stream;

import static io.bootswarm.agent.files.TestGroups.assertMode;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NBD Unix socket's mode, group and directory (modes asserted, not access: the tests may run as
 * root), and that the socket, bound under another name and renamed into place, is the one served.
 */
class NbdSocketModeTest {

    @TempDir
    Path dir;

    private final ExportRegistry exports = new ExportRegistry();

    @Test
    void theSocketIs0660InAnOwnerOnlyDirectoryAndAnswers() throws Exception {
        Path socket = dir.resolve("sub/nbd.sock");
        try (NbdServer server = new NbdServer(NbdServerSettings.unix(socket), exports).start()) {
            assertMode(socket, "rw-rw----");
            assertMode(socket.getParent(), "rwx------");
            assertThat(listing(socket.getParent())).containsExactly("nbd.sock");
            assertGreets(socket);
        }
        assertThat(socket).doesNotExist();
        assertThat(listing(socket.getParent())).isEmpty();
    }

    @Test
    void withAGroupTheSocketAndTheDirectoriesMadeForItHaveThatGroupAnd0750() throws Exception {
        GroupPrincipal group = TestGroups.assignableOtherThanDefault(dir);
        Path socket = dir.resolve("run/bootswarm/nbd.sock");
        try (NbdServer server = new NbdServer(NbdServerSettings.unix(socket).withUnixSocket(socket, group), exports).start()) {
            assertMode(socket, "rw-rw----");
            assertThat(TestGroups.group(socket)).isEqualTo(group);
            for (Path d : new Path[] {dir.resolve("run"), dir.resolve("run/bootswarm")}) {
                assertMode(d, "rwxr-x---");
                assertThat(TestGroups.group(d)).isEqualTo(group);
            }
            assertGreets(socket);
        }
    }

    @Test
    void anExistingDirectoryOfTheSocketIsLeftAsItIs() throws Exception {
        TestGroups.chmod(dir, "rwxr-xr-x");
        GroupPrincipal before = TestGroups.group(dir);
        GroupPrincipal group = TestGroups.assignableOtherThanDefault(dir);
        Path socket = dir.resolve("nbd.sock");
        try (NbdServer server = new NbdServer(NbdServerSettings.unix(socket).withUnixSocket(socket, group), exports).start()) {
            assertMode(socket, "rw-rw----");
            assertThat(TestGroups.group(socket)).isEqualTo(group);
            assertMode(dir, "rwxr-xr-x");
            assertThat(TestGroups.group(dir)).isEqualTo(before);
        }
    }

    @Test
    void aPathWithNoRoomForAStagingNameIsBoundInPlaceAnd0660Too() throws Exception {
        int room = 103 - dir.toString().getBytes(StandardCharsets.UTF_8).length - "/nbd.sock".length() - 1;
        assertThat(room).as("temporary directory path too long for this test").isGreaterThan(2);
        Path parent = dir.resolve("d".repeat(room));
        Path socket = parent.resolve("nbd.sock");
        assertThat(socket.toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(103);
        try (NbdServer server = new NbdServer(NbdServerSettings.unix(socket), exports).start()) {
            assertMode(socket, "rw-rw----");
            assertThat(listing(parent)).containsExactly("nbd.sock");
            assertGreets(socket);
        }
    }

    private static void assertGreets(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer greeting = ByteBuffer.allocate(8);
            while (greeting.hasRemaining() && ch.read(greeting) >= 0) {
                // until the magic is in
            }
            assertThat(greeting.getLong(0)).isEqualTo(RawNbdClient.NBDMAGIC);
        }
    }

    private static java.util.List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
