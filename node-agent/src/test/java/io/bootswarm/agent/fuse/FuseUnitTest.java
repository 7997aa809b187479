package io.bootswarm.agent.fuse;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parts of the FUSE presentation that need no mount: paths, the mount table, settings. */
class FuseUnitTest {

    @Test
    void pathsAreTheRootADiskDirectoryOrItsFileAndNothingElse() {
        UUID id = UUID.randomUUID();
        assertThat(DiskFileSystem.parse("/")).isEqualTo(DiskFileSystem.Node.ROOT);
        assertThat(DiskFileSystem.parse("/" + id)).isEqualTo(new DiskFileSystem.Node(id, false));
        assertThat(DiskFileSystem.parse("/" + id + "/disk.img")).isEqualTo(new DiskFileSystem.Node(id, true));
        for (String bad : new String[]{"", "x", "/x", "/" + id + "/", "/" + id + "/disk.img/x", "/" + id + "/other",
                "/" + id.toString().toUpperCase(), "/1-1-1-1-1", "/" + id + "x", "/jfuse_mount_probe", "//" + id}) {
            assertThat(DiskFileSystem.parse(bad)).as(bad).isNull();
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
}
