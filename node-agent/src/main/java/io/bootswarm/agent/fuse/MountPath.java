package io.bootswarm.agent.fuse;

import java.util.UUID;

/**
 * A path of the mount as the file system understands it: the root ({@code disk == null}), a disk's
 * directory {@code /<disk id>}, or a disk's file {@code /<disk id>/disk.img}. Disk ids appear only in
 * their canonical lower-case form, so each disk has exactly one name.
 */
record MountPath(UUID disk, boolean file) {

    static final MountPath ROOT = new MountPath(null, false);

    /** Parses a path of the mount; null for anything that is not the root, a disk directory or a disk file. */
    static MountPath parse(String path) {
        if ("/".equals(path)) {
            return ROOT;
        }
        if (path == null || !path.startsWith("/")) {
            return null;
        }
        int slash = path.indexOf('/', 1);
        UUID id = diskId(slash < 0 ? path.substring(1) : path.substring(1, slash));
        if (id == null) {
            return null;
        }
        if (slash < 0) {
            return new MountPath(id, false);
        }
        return DiskFileSystem.FILE_NAME.equals(path.substring(slash + 1)) ? new MountPath(id, true) : null;
    }

    /** A disk id in its canonical (lower case) form, or null. */
    private static UUID diskId(String name) {
        if (name.length() != 36) {
            return null;
        }
        try {
            UUID id = UUID.fromString(name);
            return id.toString().equals(name) ? id : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
