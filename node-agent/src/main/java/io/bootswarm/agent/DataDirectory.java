package io.bootswarm.agent;

import io.bootswarm.agent.files.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;

/**
 * The agent's data directory, made ready before anything is stored in it: created, or if it exists
 * restricted, to mode {@code 0700}; when the NBD Unix socket lies inside it and
 * {@code bootswarm.agent.nbd.socket-group} is set, {@code 0750} with that group instead, so that the
 * hypervisor can reach the socket. The store's directories that exist (made by an agent that left
 * them to the umask) are restricted to {@code 0700}: with the group on the data directory they
 * would be open to the hypervisor's group.
 *
 * @param path        the directory
 * @param socketGroup the NBD socket's group, or null for the agent's own
 */
record DataDirectory(Path path, GroupPrincipal socketGroup) {

    private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);
    private static final String PIECES = "pieces";
    private static final String MANIFESTS = "manifests";
    private static final String DISKS = "disks";

    static DataDirectory prepare(AgentProperties p) throws IOException {
        GroupPrincipal group = socketGroup(p);
        Path dir = p.dataDirectory();
        boolean socketInside = group != null
                && p.nbd().unixSocket().toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize());
        GroupPrincipal traverse = socketInside ? group : null;
        if (Files.isDirectory(dir)) {
            try {
                PrivateFiles.setGroupAndMode(dir, traverse,
                        traverse == null ? PrivateFiles.DIRECTORY : PrivateFiles.GROUP_DIRECTORY);
            } catch (FileSystemException e) {
                if (traverse != null) {
                    throw e;
                }
                log.warn("cannot restrict the data directory {} to its owner (not the agent's user?): {}", dir,
                        e.toString());
            }
            for (String sub : new String[] {PIECES, MANIFESTS, DISKS}) {
                Path d = dir.resolve(sub);
                try {
                    if (Files.isDirectory(d)) {
                        PrivateFiles.setGroupAndMode(d, null, PrivateFiles.DIRECTORY);
                    }
                } catch (FileSystemException e) {
                    log.warn("cannot restrict {} to its owner (not the agent's user?): {}", d, e.toString());
                }
            }
        } else {
            PrivateFiles.createDirectories(dir, traverse);
        }
        return new DataDirectory(dir, group);
    }

    /** The piece store's directory. */
    Path pieces() {
        return path.resolve(PIECES);
    }

    /** The manifests' directory. */
    Path manifests() {
        return path.resolve(MANIFESTS);
    }

    /** The disks' directory, one directory per disk inside. */
    Path disks() {
        return path.resolve(DISKS);
    }

    private static GroupPrincipal socketGroup(AgentProperties p) throws IOException {
        String name = p.nbd().socketGroup();
        if (name == null) {
            return null;
        }
        if (!p.hasUnixSocket()) {
            log.warn("bootswarm.agent.nbd.socket-group={} is set but the NBD Unix socket is off; ignored", name);
            return null;
        }
        try {
            return PrivateFiles.group(name);
        } catch (UserPrincipalNotFoundException e) {
            throw new IllegalStateException("bootswarm.agent.nbd.socket-group=" + name + ": no such group on this "
                    + "host. Set the group of the hypervisor that connects to the NBD socket (e.g. kvm or "
                    + "libvirt-qemu; a name or a numeric gid), or leave it empty for the agent's own group");
        } catch (UnsupportedOperationException e) {
            log.debug("no group lookup on this platform; bootswarm.agent.nbd.socket-group={} ignored", name);
            return null;
        }
    }
}
