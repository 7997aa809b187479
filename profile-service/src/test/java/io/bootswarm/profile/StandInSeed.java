package io.bootswarm.profile;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny stand-in for seed-service's {@code GET /api/v1/images/{id}}: known images answer 200 with
 * the seed's image JSON, others 404; images marked failing answer 500. Requests are counted per image,
 * and the Authorization header of the last one is kept (the stand-in checks no token: tests check
 * that profile-service sent its own).
 */
public final class StandInSeed implements AutoCloseable {

    private final HttpServer server;
    private final Map<UUID, String> images = new ConcurrentHashMap<>();
    private final Set<UUID> failing = ConcurrentHashMap.newKeySet();
    private final Map<UUID, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<UUID, String> authorizations = new ConcurrentHashMap<>();

    private StandInSeed(HttpServer server) {
        this.server = server;
    }

    public static StandInSeed start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            StandInSeed seed = new StandInSeed(server);
            server.createContext("/api/v1/images/", seed::handle);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return seed;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Adds an image to the catalog and returns its id. */
    public UUID addImage(String name, long size, int pieceSize) {
        UUID id = UUID.randomUUID();
        images.put(id, """
                {"id":"%s","name":"%s","size":%d,"pieceSize":%d,"pieceCount":%d,"zeroPieces":0,"nonZeroBytes":%d,\
                "swarmId":"%s","createdAt":"2026-01-01T00:00:00Z","uploadedBytes":0}"""
                .formatted(id, name, size, pieceSize, (size + pieceSize - 1) / pieceSize, size, "ab".repeat(20)));
        return id;
    }

    /** Changes a known image's size and piece size (as if it were re-imported under the same id). */
    public void replaceImage(UUID id, long size, int pieceSize) {
        images.put(id, """
                {"id":"%s","name":"replaced","size":%d,"pieceSize":%d}""".formatted(id, size, pieceSize));
    }

    public UUID addFailingImage() {
        UUID id = UUID.randomUUID();
        failing.add(id);
        return id;
    }

    public int requests(UUID id) {
        AtomicInteger n = requests.get(id);
        return n == null ? 0 : n.get();
    }

    /** The Authorization header of the last request for image {@code id}, or null (none, or no header). */
    public String authorization(UUID id) {
        return authorizations.get(id);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String tail = exchange.getRequestURI().getPath().substring("/api/v1/images/".length());
            UUID id;
            try {
                id = UUID.fromString(tail);
            } catch (IllegalArgumentException e) {
                respond(exchange, 400, "{\"title\":\"Bad request\"}");
                return;
            }
            requests.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization != null) {
                authorizations.put(id, authorization);
            } else {
                authorizations.remove(id);
            }
            if (failing.contains(id)) {
                respond(exchange, 500, "{\"title\":\"Internal error\"}");
            } else if (images.containsKey(id)) {
                respond(exchange, 200, images.get(id));
            } else {
                respond(exchange, 404, "{\"title\":\"Not found\",\"status\":404}");
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status >= 400 ? "application/problem+json" : "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
