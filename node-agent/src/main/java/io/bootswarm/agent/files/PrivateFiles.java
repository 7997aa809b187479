package io.bootswarm.agent.files;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Creates the agent's directories and files for its own user only: directories {@code 0700}, files
 * {@code 0600}, set as they are created (no moment in which they are open to others), whatever the
 * umask. A directory on the way to the NBD socket may instead let one group traverse it
 * ({@code 0750} with that group, granted after the group is set). On a file system without POSIX
 * permissions everything is created with its defaults, with a debug log line.
 */
public final class PrivateFiles {

    /** {@code rwx------}. */
    public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    /** {@code rw-------}. */
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** {@code rwxr-x---}: a directory one group may traverse and list. */
    public static final Set<PosixFilePermission> GROUP_DIRECTORY = PosixFilePermissions.fromString("rwxr-x---");

    private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(DIRECTORY);
    private static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(FILE);

    private PrivateFiles() {
    }

    /** Creates {@code dir} and its missing parents, each {@code 0700}; returns {@code dir}. */
    public static Path createDirectories(Path dir) throws IOException {
        return createDirectories(dir, null);
    }

    /**
     * Creates {@code dir} and its missing parents: each {@code 0700}, or with {@code traverse} set,
     * {@code 0750} with that group. Directories that exist are left as they are. Returns {@code dir}.
     */
    public static Path createDirectories(Path dir, GroupPrincipal traverse) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        for (Path p : missing) {
            try {
                createDirectory(p);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
                continue;
            }
            if (traverse != null) {
                setGroupAndMode(p, traverse, GROUP_DIRECTORY);
            }
        }
        return dir;
    }

    private static void createDirectory(Path p) throws IOException {
        try {
            Files.createDirectory(p, DIRECTORY_ATTRIBUTE);
        } catch (UnsupportedOperationException e) {
            log.debug("{}: no POSIX permissions on this file system, created with its defaults", p);
            Files.createDirectory(p);
        }
    }

    /**
     * Opens {@code file} as {@link FileChannel#open(Path, OpenOption...)} does; if the options create
     * it, it is created {@code 0600}. An existing file keeps its mode.
     */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> set = Set.of(options);
        try {
            return FileChannel.open(file, set, FILE_ATTRIBUTE);
        } catch (UnsupportedOperationException e) {
            log.debug("{}: no POSIX permissions on this file system, opened with its defaults", file);
            return FileChannel.open(file, set);
        }
    }

    /** Writes {@code bytes} to a new {@code 0600} file, replacing whatever {@code file} was. */
    public static void writeNew(Path file, byte[] bytes) throws IOException {
        Files.deleteIfExists(file);
        try (FileChannel ch = open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /** {@link Files#createTempFile(Path, String, String, FileAttribute[])} with mode {@code 0600}. */
    public static Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
        try {
            return Files.createTempFile(dir, prefix, suffix, FILE_ATTRIBUTE);
        } catch (UnsupportedOperationException e) {
            log.debug("{}: no POSIX permissions on this file system, temporary file created with its defaults", dir);
            return Files.createTempFile(dir, prefix, suffix);
        }
    }

    /**
     * Sets {@code path}'s group (unless null) and then its mode, so that the group gets access only
     * once it is the right one. Does nothing without POSIX permissions. (A symbolic link is followed:
     * the JDK cannot change a socket's mode otherwise.)
     */
    public static void setGroupAndMode(Path path, GroupPrincipal group, Set<PosixFilePermission> mode)
            throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (view == null) {
            log.debug("{}: no POSIX permissions on this file system, mode and group left as they are", path);
            return;
        }
        if (group != null) {
            try {
                view.setGroup(group);
            } catch (FileSystemException e) {
                throw new FileSystemException(path.toString(), null, "cannot give it the group " + group.getName()
                        + " (" + e.getReason() + "): the agent's user must belong to that group, or be root");
            }
        }
        view.setPermissions(mode);
    }

    /** Whether members of {@code group} may traverse {@code dir} (true without POSIX permissions). */
    public static boolean traversableBy(Path dir, GroupPrincipal group) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        if (view == null) {
            return true;
        }
        PosixFileAttributes a = view.readAttributes();
        return a.permissions().contains(PosixFilePermission.OTHERS_EXECUTE)
                || a.permissions().contains(PosixFilePermission.GROUP_EXECUTE) && a.group().equals(group);
    }

    /** Whether {@code path}'s file system has POSIX permissions. */
    public static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * The group named {@code name} (or with the numeric gid {@code name}) on this host.
     *
     * @throws UserPrincipalNotFoundException if there is none
     */
    public static GroupPrincipal group(String name) throws IOException {
        return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
    }
}
