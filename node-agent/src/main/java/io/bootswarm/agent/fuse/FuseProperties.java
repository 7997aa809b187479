package io.bootswarm.agent.fuse;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code bootswarm.agent.fuse.*}: the FUSE presentation of the host's disks, where each disk is the
 * file {@code <mount-point>/<disk id>/disk.img}.
 *
 * @param enabled          mount at start (default false); needs {@code /dev/fuse} and libfuse3
 *                         ({@code apt-get install fuse3}), and the JVM flag
 *                         {@code --enable-native-access=ALL-UNNAMED} (in the executable jar's manifest)
 * @param mountPoint       where to mount (default {@code <data-directory>/mnt}); created if missing; a
 *                         stale FUSE mount left there by a killed agent is detached first
 * @param directIo         bypass the kernel page cache (default true): every read and write of the
 *                         hypervisor reaches the disk, which keeps the file coherent with writes made
 *                         over NBD and lets the agent see every access; false lets the kernel cache
 *                         pages (faster re-reads, but stale data if the same disk is written over NBD)
 * @param maxThreads       most FUSE requests served at once (default 64); a read waiting for a missing
 *                         piece holds one
 * @param allowOther       let users other than the agent's open the files (default false; mount
 *                         option {@code allow_other}, which needs {@code user_allow_other} in
 *                         {@code /etc/fuse.conf} unless the agent runs as root); permissions are
 *                         always checked by the kernel against {@link #fileMode}, {@link #uid}, {@link #gid}
 * @param fileMode         permission bits of the {@code disk.img} files, octal (default {@code 0600});
 *                         directories get the matching search bits
 * @param uid              owner of the files (default: the agent's user)
 * @param gid              group of the files (default: the agent's group)
 * @param attributeTimeout how long the kernel caches names and attributes (default 1s): a deleted
 *                         disk's path may still {@code stat} for that long (listings are always fresh,
 *                         and a new disk's path resolves at once)
 * @param libraryPath      libfuse3 shared object (default: looked up in the usual library directories)
 */
@ConfigurationProperties("bootswarm.agent.fuse")
public record FuseProperties(boolean enabled, Path mountPoint, Boolean directIo, int maxThreads, boolean allowOther,
                             String fileMode, Integer uid, Integer gid, Duration attributeTimeout, Path libraryPath) {

    /** Default {@link #maxThreads}. */
    public static final int DEFAULT_MAX_THREADS = 64;

    public FuseProperties {
        directIo = directIo == null || directIo;
        maxThreads = maxThreads <= 0 ? DEFAULT_MAX_THREADS : maxThreads;
        fileMode = fileMode == null || fileMode.isBlank() ? "0600" : fileMode.strip();
        permissionBits(fileMode); // fail at binding, not at mount
        attributeTimeout = attributeTimeout == null ? Duration.ofSeconds(1) : attributeTimeout;
        if (attributeTimeout.isNegative()) {
            throw new IllegalArgumentException("bootswarm.agent.fuse.attribute-timeout must not be negative");
        }
    }

    /** Enabled, at {@code mountPoint}, everything else default: for tests and embedding. */
    public static FuseProperties at(Path mountPoint) {
        return new FuseProperties(true, mountPoint, null, 0, false, null, null, null, null, null);
    }

    /** The same settings with the mount point given when none was configured. */
    public FuseProperties withDefaultMountPoint(Path defaultMountPoint) {
        return mountPoint != null ? this : withMountPoint(defaultMountPoint);
    }

    public FuseProperties withMountPoint(Path mountPoint) {
        return new FuseProperties(enabled, mountPoint, directIo, maxThreads, allowOther, fileMode, uid, gid,
                attributeTimeout, libraryPath);
    }

    public FuseProperties withDirectIo(boolean directIo) {
        return new FuseProperties(enabled, mountPoint, directIo, maxThreads, allowOther, fileMode, uid, gid,
                attributeTimeout, libraryPath);
    }

    public FuseProperties withAttributeTimeout(Duration attributeTimeout) {
        return new FuseProperties(enabled, mountPoint, directIo, maxThreads, allowOther, fileMode, uid, gid,
                attributeTimeout, libraryPath);
    }

    /** {@link #fileMode} as permission bits. */
    public int filePermissions() {
        return permissionBits(fileMode);
    }

    private static int permissionBits(String octal) {
        try {
            int bits = Integer.parseInt(octal, 8);
            if (bits < 0 || bits > 07777) {
                throw new NumberFormatException();
            }
            return bits & 0777;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bootswarm.agent.fuse.file-mode must be octal permission bits such as "
                    + "0600, not '" + octal + "'");
        }
    }
}
