package io.bootswarm.agent.disk;

import io.bootswarm.agent.files.PrivateFiles;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the files of the {@link Overlay} and the {@link PieceStore}: {@link PrivateFiles#open} in
 * production; tests pass one that wraps the channel to inject write and force failures.
 */
@FunctionalInterface
interface FileOpener {

    FileOpener PRIVATE = PrivateFiles::open;

    FileChannel open(Path file, OpenOption... options) throws IOException;
}
