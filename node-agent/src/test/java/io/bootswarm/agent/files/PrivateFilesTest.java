package io.bootswarm.agent.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;

import static io.bootswarm.agent.files.TestGroups.assertMode;
import static io.bootswarm.agent.files.TestGroups.chmod;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Modes as created (the tests run with the usual umask 022, under which the defaults would be 0755
 * and 0644); the process may be root, so modes are asserted, not access.
 */
class PrivateFilesTest {

    @TempDir
    Path dir;

    @Test
    void everyMissingDirectoryIsCreatedOwnerOnlyAndExistingOnesAreLeftAlone() throws Exception {
        chmod(dir, "rwxr-xr-x");
        Path deep = dir.resolve("a/b/c");
        assertThat(PrivateFiles.createDirectories(deep)).isEqualTo(deep);
        assertMode(dir.resolve("a"), "rwx------");
        assertMode(dir.resolve("a/b"), "rwx------");
        assertMode(deep, "rwx------");
        assertMode(dir, "rwxr-xr-x");
        PrivateFiles.createDirectories(deep);
        assertMode(deep, "rwx------");
    }

    @Test
    void aGroupThatMustTraverseGetsTheNewDirectoriesAt0750() throws Exception {
        GroupPrincipal other = TestGroups.assignableOtherThanDefault(dir);
        PrivateFiles.createDirectories(dir.resolve("run/nbd"), other);
        for (Path p : new Path[] {dir.resolve("run"), dir.resolve("run/nbd")}) {
            assertMode(p, "rwxr-x---");
            assertThat(TestGroups.group(p)).isEqualTo(other);
        }
        assertThat(TestGroups.group(dir)).isNotEqualTo(other);
    }

    @Test
    void filesAreCreated0600AndAnExistingFileKeepsItsMode() throws Exception {
        Path created = dir.resolve("pieces.dat");
        try (FileChannel ch = PrivateFiles.open(created, CREATE, READ, WRITE)) {
            assertThat(ch.size()).isZero();
        }
        assertMode(created, "rw-------");

        Path existing = Files.writeString(dir.resolve("old.log"), "x");
        chmod(existing, "rw-r--r--");
        try (FileChannel ch = PrivateFiles.open(existing, CREATE, READ, WRITE)) {
            assertThat(ch.size()).isEqualTo(1);
        }
        assertMode(existing, "rw-r--r--");

        assertMode(PrivateFiles.createTempFile(dir, "manifest", ".tmp"), "rw-------");
    }

    @Test
    void writeNewReplacesAFileWithAPrivateOne() throws Exception {
        Path file = Files.writeString(dir.resolve("disk.json.tmp"), "a leftover, longer than what replaces it");
        chmod(file, "rw-rw-rw-");
        PrivateFiles.writeNew(file, "{}".getBytes());
        assertThat(Files.readString(file)).isEqualTo("{}");
        assertMode(file, "rw-------");
    }

    @Test
    void aPathGetsGroupAndModeAndIsTraversableOnlyWithGroupSearch() throws Exception {
        GroupPrincipal other = TestGroups.assignableOtherThanDefault(dir);
        Path file = Files.writeString(dir.resolve("f"), "x");
        PrivateFiles.setGroupAndMode(file, other, PrivateFiles.GROUP_DIRECTORY);
        assertThat(TestGroups.group(file)).isEqualTo(other);
        assertMode(file, "rwxr-x---");
        assertThat(PrivateFiles.traversableBy(file, other)).isTrue();
        chmod(file, "rwx------");
        assertThat(PrivateFiles.traversableBy(file, other)).isFalse();
    }
}
