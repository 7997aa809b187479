package io.bootswarm.fleet;

import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/fleet}: runs the whole fleet on this machine with embedded PostgreSQL and Kafka,
 * imports a demo image (or {@code --image=PATH}), launches it on a local agent and prints the NBD
 * URI with a {@code qemu-img} command to read it. Runs until interrupted.
 *
 * <p>Options: {@code --work=DIR} (default {@code .bootswarm}), {@code --image=PATH},
 * {@code --demo-size=MiB} (default 256).
 */
public final class FleetMain {

    private FleetMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new java.util.HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                System.err.println("usage: bin/fleet [--work=DIR] [--image=PATH] [--demo-size=MiB]");
                System.exit(2);
            }
            opts.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        Path work = Path.of(opts.getOrDefault("work", ".bootswarm")).toAbsolutePath();
        // the local fleet runs on the embedded PostgreSQL and Kafka even where a Docker engine runs (which
        // would make Testcontainers try to pull its helper image from a registry); BOOTSWARM_INFRA overrides
        if (System.getProperty("bootswarm.infra") == null && System.getenv("BOOTSWARM_INFRA") == null) {
            System.setProperty("bootswarm.infra", "embedded");
        }
        LocalFleet fleet = LocalFleet.start(new LocalFleet.Options(work, true, 15432, 19092, 8080, 8081, 6881, 8083,
                8084, 8085, Map.of(), Map.of()));
        Runtime.getRuntime().addShutdownHook(new Thread(fleet::close, "fleet-stop"));
        LocalFleet.Agent agent = fleet.startAgent("local-agent", Map.of(
                "server.port", 8082, "bootswarm.agent.peer-port", 6882, "bootswarm.agent.nbd.port", 10809));
        FleetClient client = fleet.client();
        Path credentials = work.resolve("auth").resolve("clients.json");

        Path image = opts.containsKey("image") ? Path.of(opts.get("image"))
                : demoImage(work.resolve("demo.img"), Integer.parseInt(opts.getOrDefault("demo-size", "256")));
        String name = opts.containsKey("image") ? image.getFileName().toString().toLowerCase()
                .replaceAll("[^a-z0-9._-]", "-") : "demo";
        List<JsonNode> existing = client.images(name);
        JsonNode img = existing.isEmpty() ? client.uploadImage(name, image) : existing.getFirst();
        UUID imageId = UUID.fromString(img.path("id").asString());

        client.awaitHostUp(agent.name(), Duration.ofSeconds(30));
        JsonNode launch = client.launch(imageId, List.of(agent.name()), null);
        UUID launchId = UUID.fromString(launch.path("id").asString());
        JsonNode ready = client.awaitLaunchReady(launchId, Duration.ofSeconds(60));
        JsonNode host = ready.path("hosts").get(0);
        String uri = host.path("nbdUri").asString();

        List<String> join = joinArguments(fleet, work);
        fleet.writeCredentials(credentials);
        System.out.printf("""

                bootswarm fleet is up (work directory %s)
                  tracker   %s   (Swagger UI: %s/swagger-ui.html)
                  seed      %s   (Swagger UI: %s/swagger-ui.html)
                  profiles  %s   (Swagger UI: %s/swagger-ui.html)
                  allocator %s   (Swagger UI: %s/swagger-ui.html)
                  agent     %s   (host %s)
                  auth      %s   (OAuth2 client credentials; clients and secrets in %s)
                  kafka     %s   (KRaft, SASL/SCRAM and ACLs: a principal per service, passwords new each start)
                  postgres  127.0.0.1:15432/bootswarm
                  image     %s  %s  %d bytes, %d pieces (%d all-zero, never transferred)
                  launch    %s  READY on %s
                  NBD       %s
                            %s

                Call the API as client "operator" (roles admin, orchestrator, viewer; one client per role is there too):
                  TOKEN=$(curl -s -u "operator:$(jq -r '.clients[]|select(.id=="operator").secret' %s)" \\
                    -d grant_type=client_credentials %s | jq -r .access_token)
                  curl -H "Authorization: Bearer $TOKEN" %s/api/v1/launches
                Read the image through the swarm:
                  qemu-img convert -p -f raw -O raw '%s' /tmp/%s-copy.img
                  sha256sum %s /tmp/%s-copy.img
                Attach another agent to this fleet (a second host's agent, here on other ports):
                  java -jar node-agent/target/node-agent-%s-exec.jar \\
                    %s
                Ctrl-C stops the fleet.
                """, work, fleet.trackerUrl(), fleet.trackerUrl(), fleet.seedUrl(), fleet.seedUrl(), fleet.profileUrl(),
                fleet.profileUrl(), fleet.allocatorUrl(), fleet.allocatorUrl(), agent.apiUrl(),
                agent.name(), fleet.auth().url(), credentials, fleet.kafkaBootstrapServers(), name, imageId, img.path("size").asLong(), img.path("pieceCount").asInt(),
                img.path("zeroPieces").asInt(), launchId, agent.name(), uri, host.path("nbdUnixUri").asString(""),
                credentials, fleet.auth().tokenUri(), fleet.trackerUrl(),
                uri, name, image, name, version(), String.join(" \\\n    ", join));
        new CountDownLatch(1).await();
    }

    /** The command-line arguments of a second agent, {@code agent-2}, joining this fleet. */
    static List<String> joinArguments(LocalFleet fleet, Path work) {
        return fleet.joinProperties("agent-2", work.resolve("agents").resolve("agent-2"), 8092, 6892, 10819)
                .entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toList();
    }

    private static String version() {
        String v = FleetMain.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    /** A demo disk image: random data with all-zero regions, like a real one (made once, kept). */
    static Path demoImage(Path file, int mebibytes) throws IOException {
        if (Files.exists(file) && Files.size(file) == (long) mebibytes << 20) {
            return file;
        }
        Random random = new Random(42);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mebibytes; i++) {
                if (i % 4 == 3) {
                    java.util.Arrays.fill(chunk, (byte) 0);
                } else {
                    random.nextBytes(chunk);
                }
                out.write(chunk);
            }
        }
        return file;
    }
}
