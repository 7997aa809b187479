package io.bootswarm.agent.fuse;

import io.bootswarm.testing.ManualClock;
import org.cryptomator.jfuse.api.Errno;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** The parts of the FUSE presentation that need no mount: paths, the mount table, settings, errors. */
class FuseUnitTest {

    @Test
    void pathsAreTheRootADiskDirectoryOrItsFileAndNothingElse() {
        UUID id = UUID.randomUUID();
        assertThat(MountPath.parse("/")).isEqualTo(MountPath.ROOT);
        assertThat(MountPath.parse("/" + id)).isEqualTo(new MountPath(id, false));
        assertThat(MountPath.parse("/" + id + "/disk.img")).isEqualTo(new MountPath(id, true));
        for (String bad : new String[]{"", "x", "/x", "/" + id + "/", "/" + id + "/disk.img/x", "/" + id + "/other",
                "/" + id.toString().toUpperCase(), "/1-1-1-1-1", "/" + id + "x", "/jfuse_mount_probe", "//" + id}) {
            assertThat(MountPath.parse(bad)).as(bad).isNull();
        }
    }

    @Test
    void mountinfoLinesGiveMountPointAndType() {
        MountTable.Entry e = MountTable.parse(
                "512 29 0:77 / /tmp/a\\040b/mnt rw,nosuid,nodev,relatime shared:280 - fuse.bootswarm bootswarm rw,user_id=0,group_id=0");
        assertThat(e).isEqualTo(new MountTable.Entry(Path.of("/tmp/a b/mnt"), "fuse.bootswarm"));
        assertThat(e.isFuse()).isTrue();
        MountTable.Entry root = MountTable.parse("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw");
        assertThat(root.mountPoint()).isEqualTo(Path.of("/"));
        assertThat(root.isFuse()).isFalse();
        assertThat(MountTable.parse("garbage")).isNull();
        assertThat(MountTable.unescape("a\\011b\\134c\\012")).isEqualTo("a\tb\\c\n");
    }

    @Test
    void propertiesHaveSafeDefaultsAndRejectNonsense() {
        FuseProperties p = FuseProperties.at(Path.of("/m"));
        assertThat(p.directIo()).isTrue();
        assertThat(p.maxThreads()).isEqualTo(FuseProperties.DEFAULT_MAX_THREADS);
        assertThat(p.filePermissions()).isEqualTo(0600);
        assertThat(p.attributeTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.allowOther()).isFalse();
        FuseProperties unset = new FuseProperties(true, null, null, 0, false, null, null, null, null, null);
        assertThat(unset.withDefaultMountPoint(Path.of("/data/mnt")).mountPoint()).isEqualTo(Path.of("/data/mnt"));
        assertThat(p.withDefaultMountPoint(Path.of("/data/mnt")).mountPoint()).isEqualTo(Path.of("/m"));
        assertThat(new FuseProperties(true, null, false, 3, true, "644", 7, 8, Duration.ZERO, null).filePermissions())
                .isEqualTo(0644);
        assertThatThrownBy(() -> new FuseProperties(true, null, null, 0, false, "rw-r--r--", null, null, null, null))
                .hasMessageContaining("octal");
        assertThatThrownBy(() -> new FuseProperties(true, null, null, 0, false, "99", null, null, null, null))
                .hasMessageContaining("octal");
        assertThatThrownBy(() -> new FuseProperties(true, null, null, 0, false, null, null, null, Duration.ofSeconds(-1), null))
                .hasMessageContaining("negative");
    }

    @Test
    void mountOptionsFollowTheSettings() {
        FuseMount m = new FuseMount(FuseProperties.at(Path.of("/m")).withAttributeTimeout(Duration.ofMillis(250)),
                DiskCatalog.of(java.util.Map.of()), null);
        assertThat(m.mountOptions()).contains("default_permissions", "max_threads=64", "attr_timeout=0.250",
                "entry_timeout=0.250", "negative_timeout=0").doesNotContain("allow_other");
        assertThat(m.isMounted()).isFalse();
        assertThat(m.pathOf(UUID.randomUUID())).isEmpty();
        m.close(); // not mounted: nothing to do
    }

    @Test
    void deviceErrorsAreEioAndLoggedAtMostOncePerIntervalOfTheInjectedClock() {
        Errno errno = mock(Errno.class);
        when(errno.eio()).thenReturn(5);
        ManualClock clock = new ManualClock();
        FuseMetrics metrics = new FuseMetrics();
        FuseErrors errors = new FuseErrors(errno, metrics, clock);
        UUID disk = UUID.randomUUID();
        java.io.IOException failure = new java.io.IOException("piece unavailable");

        assertThat(errors.deviceError("read", disk, 0, 4096, failure)).isEqualTo(-5); // logged
        assertThat(errors.deviceError("read", disk, 4096, 4096, failure)).isEqualTo(-5);
        clock.advance(FuseErrors.LOG_INTERVAL.minusMillis(1));
        errors.deviceError("read", disk, 8192, 4096, failure);
        assertThat(errors.suppressedDeviceErrorLogs()).isEqualTo(2);

        clock.advanceMillis(1);
        errors.deviceError("read", disk, 12288, 4096, failure); // logged, with "2 more"
        assertThat(errors.suppressedDeviceErrorLogs()).isZero();
        assertThat(metrics.errEio.sum()).isEqualTo(4);
    }
}
