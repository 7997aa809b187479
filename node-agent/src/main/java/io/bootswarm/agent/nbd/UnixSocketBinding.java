package io.bootswarm.agent.nbd;

import io.bootswarm.agent.files.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Binds the NBD server's Unix domain socket so that only its owner and group can ever connect:
 * replaces a stale socket a previous run left behind (never a live one, nor anything that is not a
 * socket), and binds under a private name, gives it mode {@code 0660} and the group, and only then
 * renames it to its path.
 */
final class UnixSocketBinding {

    private static final Logger log = LoggerFactory.getLogger(UnixSocketBinding.class);
    private static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
    /** A socket address's path holds 108 bytes on Linux and 104 on macOS, with the terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 103;

    private UnixSocketBinding() {
    }

    /** A listening channel bound at {@code path}, with {@code group} (or the default one) and mode 0660. */
    static ServerSocketChannel bind(Path path, GroupPrincipal group, int backlog) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        PrivateFiles.createDirectories(parent, group);
        if (group != null && !PrivateFiles.traversableBy(parent, group)) {
            log.warn("group {} may not traverse {}, so it cannot reach the NBD socket {}: give the directory that "
                    + "group and mode 0750", group.getName(), parent, path);
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) {
                throw new IOException(path + " exists and is not a socket; not replacing it");
            }
            boolean live;
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                live = true;
            } catch (IOException refused) {
                live = false; // nobody listening: a leftover of a previous run
            }
            if (live) {
                throw new IOException("another server is listening on " + path);
            }
            Files.delete(path);
            log.debug("Removed stale NBD socket {}", path);
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            bindPrivately(ch, path, group, backlog);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /**
     * Binds {@code ch} in a new owner-only directory next to {@code path}, gives the socket its group
     * and mode 0660 there and then renames it to {@code path}: a socket is created with the umask's
     * mode, so bound in place it would be open to others until its mode is set. Where the staging
     * name would be too long for a socket address, binds in place and sets the mode at once.
     */
    private static void bindPrivately(ServerSocketChannel ch, Path path, GroupPrincipal group, int backlog)
            throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (!PrivateFiles.isPosix(parent)) {
            ch.bind(UnixDomainSocketAddress.of(path), backlog);
            return;
        }
        Path staging = Files.createTempDirectory(parent, ".nbd");
        Path staged = staging.resolve("s");
        try {
            if (staged.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
                log.debug("{}: no room for a staging name, binding in place", path);
                ch.bind(UnixDomainSocketAddress.of(path), backlog);
                PrivateFiles.setGroupAndMode(path, group, SOCKET_MODE);
                return;
            }
            ch.bind(UnixDomainSocketAddress.of(staged), backlog);
            PrivateFiles.setGroupAndMode(staged, group, SOCKET_MODE);
            Files.move(staged, path, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            try {
                Files.deleteIfExists(staged);
                Files.deleteIfExists(staging);
            } catch (IOException e) {
                log.warn("could not remove the NBD socket's staging directory {}: {}", staging, e.toString());
            }
        }
    }
}
