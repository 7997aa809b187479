package io.bootswarm.agent.fuse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM that mounts an empty {@link FuseMount} and waits to be killed, so that a test can
 * leave behind the stale mount a SIGKILLed agent leaves.
 */
public final class StaleMountHelper {

    static final String READY = "MOUNTED";

    public static void main(String[] args) throws Exception {
        FuseMount mount = new FuseMount(FuseProperties.at(Path.of(args[0])), DiskCatalog.of(Map.of()), null).start();
        System.out.println(READY + " " + mount.mountPoint());
        System.out.flush();
        // until the test kills this JVM (SIGKILL, so no unmount), or its parent goes away
        ProcessHandle.current().parent().ifPresentOrElse(p -> p.onExit().join(), () -> { });
    }

    /** Starts the helper mounting at {@code mountPoint} and returns once it has mounted. */
    static Process start(Path mountPoint) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), StaleMountHelper.class.getName(), mountPoint.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    seen.append(line).append('\n');
                    if (line.startsWith(READY)) {
                        return true;
                    }
                }
            } catch (IOException e) {
                // process ended
            }
            return false;
        });
        try {
            if (!ready.get(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the helper JVM did not mount: " + seen);
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("the helper JVM did not mount in 30 s: " + seen, e);
        }
        // keep draining so that the helper never blocks on a full pipe
        Thread.ofVirtual().start(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // killed
            }
        });
        return p;
    }
}
