package io.bootswarm.agent.fuse;

import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;

import java.time.Instant;

/**
 * What {@code stat} and {@code statfs} show of the mount: every directory and file belongs to the
 * configured owner, files have the configured mode and directories the matching search permissions
 * (nothing can be created in them), all times are the mount's creation time, and the file system
 * is as large as its disks and full.
 */
final class FileAttributes {

    private static final int BLOCK = 4096;

    private final int filePermissions;
    private final int directoryPermissions;
    private final int uid;
    private final int gid;
    private final Instant createdAt;

    FileAttributes(int filePermissions, int uid, int gid, Instant createdAt) {
        this.filePermissions = filePermissions & 0777;
        // search permission wherever the file is readable; no one can create anything in them
        this.directoryPermissions = (this.filePermissions | ((this.filePermissions & 0444) >> 2)) & 0555 | 0100;
        this.uid = uid;
        this.gid = gid;
        this.createdAt = createdAt;
    }

    void file(Stat stat, long size) {
        stat.setMode(Stat.S_IFREG | filePermissions);
        stat.setNLink((short) 1);
        stat.setSize(size);
        owner(stat);
    }

    void directory(Stat stat, int links) {
        stat.setMode(Stat.S_IFDIR | directoryPermissions);
        stat.setNLink((short) Math.min(links, Short.MAX_VALUE));
        owner(stat);
    }

    private void owner(Stat stat) {
        stat.setUid(uid);
        stat.setGid(gid);
        for (TimeSpec t : new TimeSpec[]{stat.aTime(), stat.mTime(), stat.cTime()}) {
            t.set(createdAt);
        }
    }

    /** A file system of {@code bytes} (the disks' sizes), with no room left. */
    static void fileSystem(Statvfs statvfs, long bytes) {
        statvfs.setBsize(BLOCK);
        statvfs.setFrsize(BLOCK);
        statvfs.setBlocks((bytes + BLOCK - 1) / BLOCK);
        statvfs.setBfree(0);
        statvfs.setBavail(0);
        statvfs.setNameMax(255);
    }
}
