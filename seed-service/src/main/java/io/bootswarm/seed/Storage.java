package io.bootswarm.seed;

import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The seed's storage directory: {@code images/<id>.img} holds each catalogued image,
 * {@code import/} is where path imports read from, {@code tmp/} holds imports in flight (a file is deleted once
 * its import is no longer running: {@code ImportRecovery}). Created on startup. Seed replicas may share it (a
 * ReadWriteMany volume): nothing here deletes what another replica may be writing.
 */
@Component
public final class Storage {

    private final Path root;
    private final Path images;
    private final Path importDir;
    private final Path tmp;

    public Storage(SeedProperties properties) {
        try {
            this.root = Files.createDirectories(properties.storageDir()).toRealPath();
            this.images = Files.createDirectories(root.resolve("images"));
            this.importDir = Files.createDirectories(root.resolve("import"));
            this.tmp = Files.createDirectories(root.resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the seed's storage directory " + properties.storageDir(), e);
        }
    }

    /** The storage directory, absolute and without symbolic links. */
    public Path root() {
        return root;
    }

    /** Where catalogued images live. */
    public Path imagesDir() {
        return images;
    }

    /** The directory path imports name files relative to. */
    public Path importDir() {
        return importDir;
    }

    /** Where imports in flight write. */
    public Path tmpDir() {
        return tmp;
    }

    /** The file of image {@code id}, relative to {@link #root()} (how the catalog records it). */
    public String relativeImageFile(UUID id) {
        return "images/" + id + ".img";
    }

    /** Resolves a path the catalog recorded. */
    public Path resolve(String relative) {
        return root.resolve(relative);
    }

    /** The temporary file of import {@code importId}. */
    public Path tmpFile(UUID importId) {
        return tmp.resolve(importId + ".part");
    }

    /** Makes renames into and out of {@code dir} durable (fsync of the directory). */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
