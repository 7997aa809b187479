package io.bootswarm.auth;

import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The authorization server as a process of its own: the identity provider of the compose deployment
 * (an operator's own provider takes its place in production). Configured by environment:
 * <ul>
 * <li>{@code BOOTSWARM_AUTH_ISSUER} (required): the issuer URL the services reach it at, e.g. {@code http://auth:9000};</li>
 * <li>{@code BOOTSWARM_AUTH_PORT} (9000) and {@code BOOTSWARM_AUTH_ADDRESS} (127.0.0.1);</li>
 * <li>{@code BOOTSWARM_AUTH_CLIENTS}: the clients, comma-separated {@code id:role+role[@host]}, e.g.
 *     {@code tracker-service:viewer,agent-1:agent@agent-1,admin:admin};</li>
 * <li>{@code BOOTSWARM_AUTH_STATE_DIR}: where each client's secret is kept across restarts, owner-only:
 *     {@code clients.json} with all of them, and per client a directory {@code <id>/} holding the files
 *     {@code bootswarm.security.client.id} and {@code bootswarm.security.client.secret}, which a service
 *     reads with {@code spring.config.import=configtree:<dir>/<id>/}.</li>
 * </ul>
 */
public final class AuthorizationServerMain {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record State(List<AuthorizationServer.Client> clients) {
    }

    private AuthorizationServerMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        String issuer = env.get("BOOTSWARM_AUTH_ISSUER");
        if (issuer == null || issuer.isBlank()) {
            System.err.println("BOOTSWARM_AUTH_ISSUER is required: the URL services reach this server at");
            System.exit(2);
        }
        int port = Integer.parseInt(env.getOrDefault("BOOTSWARM_AUTH_PORT", "9000"));
        String address = env.getOrDefault("BOOTSWARM_AUTH_ADDRESS", "127.0.0.1");
        Path state = Path.of(env.getOrDefault("BOOTSWARM_AUTH_STATE_DIR", "auth-state"));
        AuthorizationServer server = AuthorizationServer.start(address, port, issuer);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "auth-stop"));
        List<AuthorizationServer.Client> known = load(state);
        for (ClientSpec spec : parse(env.getOrDefault("BOOTSWARM_AUTH_CLIENTS", ""))) {
            AuthorizationServer.Client previous = known.stream().filter(c -> c.id().equals(spec.id())
                    && c.roles().equals(spec.roles()) && java.util.Objects.equals(c.host(), spec.host()))
                    .findFirst().orElse(null);
            if (previous != null) {
                server.add(previous);
            } else {
                server.register(spec.id(), spec.roles(), spec.host());
            }
        }
        save(state, server.clients());
        new CountDownLatch(1).await();
    }

    /** One client of {@code BOOTSWARM_AUTH_CLIENTS}. */
    public record ClientSpec(String id, Set<String> roles, String host) {
    }

    /** Parses {@code id:role+role[@host],...}. */
    public static List<ClientSpec> parse(String spec) {
        List<ClientSpec> specs = new ArrayList<>();
        for (String item : spec.split(",")) {
            String s = item.strip();
            if (s.isEmpty()) {
                continue;
            }
            int colon = s.indexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("BOOTSWARM_AUTH_CLIENTS: '" + s + "' is not id:role+role[@host]");
            }
            String rest = s.substring(colon + 1);
            int at = rest.indexOf('@');
            String host = at < 0 ? null : rest.substring(at + 1);
            String roles = at < 0 ? rest : rest.substring(0, at);
            specs.add(new ClientSpec(s.substring(0, colon), new LinkedHashSet<>(Arrays.asList(roles.split("\\+"))), host));
        }
        return specs;
    }

    private static List<AuthorizationServer.Client> load(Path state) throws IOException {
        Path file = state.resolve("clients.json");
        return Files.exists(file) ? JSON.readValue(file.toFile(), State.class).clients() : List.of();
    }

    private static void save(Path state, List<AuthorizationServer.Client> clients) throws IOException {
        var ownerOnlyDir = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        if (!Files.isDirectory(state)) {
            Files.createDirectories(state, ownerOnlyDir);
        }
        write(state.resolve("clients.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(new State(clients)));
        for (AuthorizationServer.Client c : clients) {
            Path dir = state.resolve(c.id());
            if (!Files.isDirectory(dir)) {
                Files.createDirectory(dir, ownerOnlyDir);
            }
            write(dir.resolve("bootswarm.security.client.id"), c.id());
            write(dir.resolve("bootswarm.security.client.secret"), c.secret());
        }
    }

    private static void write(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }
}
