package io.bootswarm.agent.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Groups and modes as the tests see them. */
public final class TestGroups {

    private TestGroups() {
    }

    /**
     * A group this process may give its files that is not the group a new file in {@code dir} gets
     * anyway, so that a test of "the file has this group" can fail: one of the process's
     * supplementary groups, or as root (which may give any group) the first other group of
     * {@code /etc/group}.
     */
    public static GroupPrincipal assignableOtherThanDefault(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, "group-probe", "");
        int defaultGid = (Integer) Files.getAttribute(probe, "unix:gid");
        Files.delete(probe);
        boolean root = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        for (String gid : candidateGids(root)) {
            if (Integer.parseInt(gid) != defaultGid) {
                return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(gid);
            }
        }
        throw new AssertionError("this process belongs to no group but its primary one (gid " + defaultGid
                + ") and is not root: run the test as root or as a user with a supplementary group");
    }

    private static List<String> candidateGids(boolean root) throws IOException {
        List<String> gids = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Groups:")) {
                for (String g : line.substring("Groups:".length()).trim().split("\\s+")) {
                    if (!g.isEmpty()) {
                        gids.add(g);
                    }
                }
            }
        }
        if (root) {
            for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                String[] fields = line.split(":");
                if (fields.length > 2 && fields[2].matches("\\d+")) {
                    gids.add(fields[2]);
                }
            }
        }
        return gids;
    }

    /** {@code path}'s permission bits, not following a symbolic link. */
    public static String mode(Path path) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code path}'s group. */
    public static GroupPrincipal group(Path path) throws IOException {
        return Files.getFileAttributeView(path, PosixFileAttributeView.class).readAttributes().group();
    }

    /** Asserts {@code path} has the mode {@code mode}, e.g. {@code rwx------}. */
    public static void assertMode(Path path, String mode) {
        assertThat(mode(path)).as("mode of %s", path).isEqualTo(mode);
    }

    /** Sets {@code path}'s mode. */
    public static void chmod(Path path, String mode) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    }
}
