package io.bootswarm.fleet;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A fleet service (tracker, seed, allocator: any Spring Boot main class on this JVM's class path) in a JVM
 * of its own, so that it can be killed as a crashed pod is ({@link #kill()} is SIGKILL) and started again
 * with the same settings, ports, storage and database. Each run's output goes to
 * {@code <logDirectory>/<name>-<run>.log}.
 */
final class ServiceProcess implements AutoCloseable {

    private final String name;
    private final String mainClass;
    private final Map<String, String> properties;
    private final Path logDirectory;
    private volatile Process process;
    private int runs;

    /**
     * @param properties its settings, given as command-line arguments (which win over its configuration files);
     *                   {@code server.port} must be a fixed port, so that it comes back where it was
     */
    ServiceProcess(String name, String mainClass, Map<String, String> properties, Path logDirectory) {
        this.name = name;
        this.mainClass = mainClass;
        this.properties = Map.copyOf(properties);
        this.logDirectory = logDirectory;
    }

    /** The settings a service context of the fleet was started with (its command line). */
    static Map<String, String> commandLine(ConfigurableApplicationContext ctx) {
        PropertySource<?> source = ctx.getEnvironment().getPropertySources().get("commandLineArgs");
        if (!(source instanceof EnumerablePropertySource<?> args)) {
            throw new IllegalStateException(ctx.getId() + " was not started with command-line arguments");
        }
        Map<String, String> p = new LinkedHashMap<>();
        for (String key : args.getPropertyNames()) {
            p.put(key, String.valueOf(args.getProperty(key)));
        }
        return p;
    }

    String name() {
        return name;
    }

    /** Its REST base URL. */
    String url() {
        return "http://127.0.0.1:" + properties.get("server.port");
    }

    /** Starts a run (the service must not be running); returns without waiting for it to be ready. */
    synchronized ServiceProcess start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        List<String> cmd = new ArrayList<>(List.of(AgentProcess.JAVA, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), mainClass));
        properties.forEach((k, v) -> cmd.add("--" + k + "=" + v));
        Files.createDirectories(logDirectory);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log().toFile()).start();
        runs++;
        return this;
    }

    private Path log() {
        return logDirectory.resolve(name + "-" + (runs + 1) + ".log");
    }

    /** Waits until its readiness probe answers 200; fails at once if the process exits. */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Process p = process;
        FleetClient.await(() -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited " + p.exitValue() + "; see "
                        + logDirectory.resolve(name + "-" + runs + ".log"));
            }
            try {
                return http.send(HttpRequest.newBuilder(URI.create(url() + "/actuator/health/readiness"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, timeout, name + " ready");
    }

    /** SIGKILL, and waits until the process is gone (its ports are closed then). */
    void kill() throws InterruptedException {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(1, TimeUnit.MINUTES);
        }
    }

    boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
