package io.bootswarm.agent.nbd;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds and runs the NBD client tools (qemu-utils, libnbd-bin) the integration tests drive. */
final class ExternalTools {

    record Result(int exitCode, String output) {
    }

    private ExternalTools() {
    }

    /** The executable on PATH, or null. */
    static Path find(String tool) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Fails the test (never skips it) when a tool is missing. */
    static void require(String... tools) {
        for (String tool : tools) {
            if (find(tool) == null) {
                fail(tool + " is not installed; the NBD integration tests need it: "
                        + "apt-get install -y qemu-utils libnbd-bin (CI installs both)");
            }
        }
    }

    /** Runs a command, stdout and stderr together; kills it after the timeout. */
    static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // drain output concurrently so that a chatty tool cannot block on a full pipe
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // process killed
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                    + timeoutSeconds + " s; output so far: " + out);
        }
        reader.join(5000);
        return new Result(p.exitValue(), out.toString());
    }
}
