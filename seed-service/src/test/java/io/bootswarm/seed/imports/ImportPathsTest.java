package io.bootswarm.seed.imports;

import io.bootswarm.common.web.ProblemException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImportPathsTest {

    @TempDir
    Path root;
    Path importDir;

    @BeforeEach
    void layout() throws IOException {
        importDir = Files.createDirectories(root.resolve("import")).toRealPath();
        Files.createDirectories(importDir.resolve("sub"));
        Files.writeString(importDir.resolve("sub").resolve("disk.raw"), "bytes");
        Files.writeString(importDir.resolve("top.raw"), "bytes");
        Files.writeString(root.resolve("secret"), "not yours");
    }

    @Test
    void resolvesFilesInsideTheImportDirectory() {
        assertThat(ImportPaths.resolve(importDir, "top.raw")).isEqualTo(importDir.resolve("top.raw"));
        assertThat(ImportPaths.resolve(importDir, "sub/disk.raw")).isEqualTo(importDir.resolve("sub/disk.raw"));
        assertThat(ImportPaths.resolve(importDir, "./sub//disk.raw")).isEqualTo(importDir.resolve("sub/disk.raw"));
    }

    @Test
    void followsSymlinksThatStayInside() throws IOException {
        Files.createSymbolicLink(importDir.resolve("alias.raw"), importDir.resolve("sub/disk.raw"));
        assertThat(ImportPaths.resolve(importDir, "alias.raw")).isEqualTo(importDir.resolve("sub/disk.raw"));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {" ", "/etc/passwd", "../secret", "sub/../../secret", "..", "sub/..", ".", "sub/../.."})
    void rejectsPathsThatAreNotARelativeFileInside(String path) {
        assertProblem(path, "urn:bootswarm:problem:bad-import-path");
    }

    @Test
    void rejectsSymlinksLeadingOutside() throws IOException {
        Files.createSymbolicLink(importDir.resolve("escape.raw"), root.resolve("secret"));
        Files.createSymbolicLink(importDir.resolve("escape-dir"), root);
        assertProblem("escape.raw", "urn:bootswarm:problem:bad-import-path");
        assertProblem("escape-dir/secret", "urn:bootswarm:problem:bad-import-path");
    }

    @Test
    void rejectsMissingFilesAndDirectories() {
        assertProblem("nope.raw", "urn:bootswarm:problem:import-file-not-found");
        assertProblem("sub/nope.raw", "urn:bootswarm:problem:import-file-not-found");
        assertProblem("sub", "urn:bootswarm:problem:import-file-not-regular");
    }

    @Test
    void rejectsPathsWithNulCharacters() {
        assertProblem("a\0b", "urn:bootswarm:problem:bad-import-path");
    }

    private void assertProblem(String path, String type) {
        assertThatThrownBy(() -> ImportPaths.resolve(importDir, path)).as(path)
                .isInstanceOfSatisfying(ProblemException.class, e -> {
                    assertThat(e.getStatusCode().value()).isEqualTo(400);
                    assertThat(e.getBody().getType().toString()).isEqualTo(type);
                });
    }
}
