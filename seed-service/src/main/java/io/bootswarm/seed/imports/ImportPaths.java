package io.bootswarm.seed.imports;

import io.bootswarm.common.web.ProblemException;
import org.springframework.http.HttpStatus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Turns the {@code path} of an import request into a regular file inside the import directory, or a 400. */
final class ImportPaths {

    private ImportPaths() {
    }

    /**
     * @param importDir the import directory (absolute, real)
     * @param relative  what the client sent
     * @return the file's real path
     * @throws ProblemException 400 with type {@code bad-import-path} for a missing, absolute, {@code ..}-bearing
     *                          or escaping path, {@code import-file-not-found} for a missing file and
     *                          {@code import-file-not-regular} for anything but a regular file
     */
    static Path resolve(Path importDir, String relative) {
        if (relative == null || relative.isBlank()) {
            throw bad("an import path is required (a file relative to the import directory)", relative);
        }
        Path p;
        try {
            p = Path.of(relative);
        } catch (InvalidPathException e) {
            throw bad("import path '" + relative + "' is not a valid path: " + e.getReason(), relative);
        }
        if (p.isAbsolute() || relative.startsWith("/") || relative.startsWith("\\")) {
            throw bad("import path '" + relative + "' must be relative to the import directory", relative);
        }
        for (Path part : p) {
            if (part.toString().equals("..")) {
                throw bad("import path '" + relative + "' must not contain '..'", relative);
            }
        }
        Path resolved = importDir.resolve(p).normalize();
        if (!resolved.startsWith(importDir) || resolved.equals(importDir)) {
            throw bad("import path '" + relative + "' does not name a file inside the import directory", relative);
        }
        Path real;
        try {
            real = resolved.toRealPath();
        } catch (NoSuchFileException e) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "import-file-not-found",
                    "Bad request", "there is no file '" + relative + "' in the import directory").with("path", relative);
        } catch (IOException e) {
            throw bad("import path '" + relative + "' cannot be resolved: " + e.getMessage(), relative);
        }
        Path realImportDir;
        try {
            realImportDir = importDir.toRealPath();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the import directory " + importDir + " is gone", e);
        }
        if (!real.startsWith(realImportDir)) {
            throw bad("import path '" + relative + "' leads outside the import directory", relative);
        }
        if (!Files.isRegularFile(real)) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "import-file-not-regular",
                    "Bad request", "'" + relative + "' is not a regular file").with("path", relative);
        }
        return real;
    }

    private static ProblemException bad(String detail, String path) {
        ProblemException e = ProblemException.badRequest("bad-import-path", detail);
        return path == null ? e : e.with("path", path);
    }
}
