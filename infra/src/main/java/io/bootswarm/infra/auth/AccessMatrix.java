package io.bootswarm.infra.auth;

import io.bootswarm.auth.AuthorizationServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The endpoint × role matrix of a running service, built from its own OpenAPI document: every
 * operation must name its roles ({@code x-bootswarm-roles}) or be marked open
 * ({@code x-bootswarm-anonymous}); then it is called without a token (401 expected unless open), with
 * a token of each role it does not name (403) and of each role it names (anything but 401/403 and
 * 5xx: the request got past security to the handler, which may well refuse the made-up id or body).
 * Each role's token belongs to a client of its own at the {@link AuthorizationServer}; the agent's is
 * bound to host {@value #HOST}, which path variables {@code {name}} take.
 */
public final class AccessMatrix {

    /** Every role a token can carry. */
    public static final List<String> ROLES = List.of("admin", "orchestrator", "agent", "seed", "viewer");
    /** The host the agent-role token speaks for. */
    public static final String HOST = "matrix-host";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One call of the matrix and what came back. */
    public record Cell(String method, String path, String role, int status, String expected) {
        boolean ok() {
            return switch (expected) {
                case "401" -> status == 401;
                case "403" -> status == 403;
                default -> status != 401 && status != 403 && status < 500;
            };
        }

        @Override
        public String toString() {
            return method + " " + path + " as " + role + ": " + status + " (expected " + expected + ")";
        }
    }

    /** What the matrix found: the calls that came out wrong and the operations without any rule. */
    public record Result(List<Cell> cells, List<String> unruled) {
        public List<Cell> wrong() {
            return cells.stream().filter(c -> !c.ok()).toList();
        }

        /** "METHOD path" of every operation the document lists. */
        public Set<String> operations() {
            Set<String> ops = new TreeSet<>(unruled);
            cells.forEach(c -> ops.add(c.method() + " " + c.path()));
            return ops;
        }
    }

    private final AuthorizationServer auth;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public AccessMatrix(AuthorizationServer auth) {
        this.auth = auth;
    }

    /** A token with just {@code role} ({@code agent}: bound to {@value #HOST}). */
    public String roleToken(String role) {
        return auth.token("matrix-" + role, Set.of(role), role.equals("agent") ? HOST : null);
    }

    /** Runs the matrix against the service at {@code baseUrl}. */
    public Result run(String baseUrl) {
        JsonNode doc = JSON.readTree(send("GET", baseUrl + "/v3/api-docs", null, null).body());
        List<Cell> cells = new ArrayList<>();
        List<String> unruled = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                String method = op.getKey().toUpperCase(Locale.ROOT);
                if (!Set.of("GET", "POST", "PUT", "DELETE", "PATCH").contains(method)) {
                    continue;
                }
                JsonNode operation = op.getValue();
                boolean open = operation.has("x-bootswarm-anonymous");
                Set<String> roles = new LinkedHashSet<>();
                if (operation.has("x-bootswarm-roles")) {
                    operation.get("x-bootswarm-roles").forEach(r -> roles.add(r.asString()));
                }
                if (!open && roles.isEmpty()) {
                    unruled.add(method + " " + path.getKey());
                    continue;
                }
                String url = baseUrl + concrete(path.getKey());
                String contentType = requestType(operation);
                cells.add(new Cell(method, path.getKey(), "anonymous",
                        send(method, url, null, contentType).statusCode(), open ? "any" : "401"));
                for (String role : ROLES) {
                    if (open) {
                        continue;
                    }
                    int status = send(method, url, roleToken(role), contentType).statusCode();
                    cells.add(new Cell(method, path.getKey(), role, status, roles.contains(role) ? "any" : "403"));
                }
            }
        }
        return new Result(cells, unruled);
    }

    private static String concrete(String path) {
        return path.replace("{name}", HOST).replace("{groupId}", "0")
                .replaceAll("\\{(id|imageId)\\}", UUID.randomUUID().toString())
                .replaceAll("\\{[^}]+\\}", "x");
    }

    private static String requestType(JsonNode operation) {
        JsonNode body = operation.get("requestBody");
        if (body == null || !body.has("content")) {
            return null;
        }
        return body.get("content").propertyNames().iterator().next();
    }

    private HttpResponse<String> send(String method, String url, String token, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        String body = contentType == null ? "" : contentType.contains("json") ? "{}" : "";
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, method.equals("GET") || method.equals("DELETE") ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
