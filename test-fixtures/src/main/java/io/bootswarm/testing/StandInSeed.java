package io.bootswarm.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny stand-in for seed-service, as the services that call it (tracker-service, profile-service) see it.
 * {@code GET /api/v1/images/{id}}: known images answer 200 with the seed's image JSON, others 404; images
 * marked failing answer 500, images marked slow answer only after {@link #SLOW_ANSWER}. Requests are
 * counted per image, and the Authorization header of the last one is kept (the stand-in checks no token:
 * tests check that the caller sent its own). {@code GET /api/v1/swarms/related?swarmId=}: the related
 * swarms set for a swarm, 404 for others; swarms marked failing answer 500, swarms marked slow answer
 * after {@link #SLOW_ANSWER}. Stock-client questions: see {@link #closeToStockClients}.
 */
public final class StandInSeed implements AutoCloseable {

    /**
     * How late a slow image or swarm answers: longer than any client timeout the tests set, so that the
     * caller's time limit is what is under test (the one deliberate delay here).
     */
    public static final Duration SLOW_ANSWER = Duration.ofSeconds(5);

    private final HttpServer server;
    private final Map<UUID, String> images = new ConcurrentHashMap<>();
    private final Set<UUID> failing = ConcurrentHashMap.newKeySet();
    private final Set<UUID> slow = ConcurrentHashMap.newKeySet();
    private final Map<UUID, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, String> related = new ConcurrentHashMap<>();
    private final Set<String> failingRelated = ConcurrentHashMap.newKeySet();
    private final Set<String> slowRelated = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> relatedRequests = new ConcurrentHashMap<>();
    private final Set<String> closedToStock = ConcurrentHashMap.newKeySet();
    private final Map<UUID, byte[]> torrentInfo = new ConcurrentHashMap<>();
    private final Map<UUID, Boolean> imageOpen = new ConcurrentHashMap<>();
    private final AtomicInteger stockRequests = new AtomicInteger();
    private final Map<UUID, String> authorizations = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> slowAnswered = new ConcurrentHashMap<>();

    private StandInSeed(HttpServer server) {
        this.server = server;
    }

    public static StandInSeed start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            StandInSeed seed = new StandInSeed(server);
            server.createContext("/api/v1/images/", seed::handle);
            server.createContext("/api/v1/swarms/related", seed::handleRelated);
            server.createContext("/api/v1/swarms/", seed::handleStockSwarm);
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

    /** Adds an image of 256 KiB pieces to the catalog and returns its id. */
    public UUID addImage(String name, long size) {
        return addImage(name, size, 262144);
    }

    /** Adds an image to the catalog and returns its id. */
    public UUID addImage(String name, long size, int pieceSize) {
        UUID id = UUID.randomUUID();
        images.put(id, """
                {"id":"%s","name":"%s","size":%d,"pieceSize":%d,"pieceCount":%d,"zeroPieces":0,"nonZeroBytes":%d,\
                "swarmId":"%s","state":"READY","createdAt":"2026-01-01T00:00:00Z","uploadedBytes":0}"""
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

    public UUID addSlowImage() {
        UUID id = UUID.randomUUID();
        slow.add(id);
        return id;
    }

    public int requests(UUID id) {
        AtomicInteger n = requests.get(id);
        return n == null ? 0 : n.get();
    }

    /**
     * Slow answers sent so far for image {@code id}: a caller that gave up on them returned while this is
     * still 0, which a test asserts instead of timing the call.
     */
    public int slowAnswered(UUID id) {
        return count(slowAnswered.get(id.toString()));
    }

    /** Slow answers sent so far for the related swarms of {@code swarm} (see {@link #slowAnswered(UUID)}). */
    public int slowAnswered(String swarm) {
        return count(slowAnswered.get(swarm));
    }

    private static int count(AtomicInteger n) {
        return n == null ? 0 : n.get();
    }

    /** The Authorization header of the last request for image {@code id}, or null (none, or no header). */
    public String authorization(UUID id) {
        return authorizations.get(id);
    }

    /** Makes the seed name {@code others} (swarm id hex, shared pieces, alternately) as related to {@code swarm}. */
    public void relate(String swarm, Object... others) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < others.length; i += 2) {
            json.append(i == 0 ? "" : ",").append("""
                    {"swarmId":"%s","imageId":"%s","sharedPieces":%d}""".formatted(others[i], UUID.randomUUID(),
                    ((Number) others[i + 1]).longValue()));
        }
        related.put(swarm, json.append("]").toString());
    }

    public void failRelated(String swarm) {
        failingRelated.add(swarm);
    }

    public void slowRelated(String swarm) {
        slowRelated.add(swarm);
    }

    public int relatedRequests(String swarm) {
        AtomicInteger n = relatedRequests.get(swarm);
        return n == null ? 0 : n.get();
    }

    private void handleRelated(HttpExchange exchange) throws IOException {
        try (exchange) {
            String query = exchange.getRequestURI().getQuery();
            String swarm = query == null || !query.startsWith("swarmId=") ? "" : query.substring("swarmId=".length());
            relatedRequests.computeIfAbsent(swarm, k -> new AtomicInteger()).incrementAndGet();
            if (failingRelated.contains(swarm)) {
                respond(exchange, 500, "{\"title\":\"Internal error\"}");
            } else if (slowRelated.contains(swarm)) {
                answerLate(swarm);
                respond(exchange, 200, "[]");
            } else if (related.containsKey(swarm)) {
                respond(exchange, 200, related.get(swarm));
            } else {
                respond(exchange, 404, "{\"title\":\"Not found\",\"status\":404}");
            }
        }
    }

    /**
     * Stock clients: a swarm is open to them ({@code GET /api/v1/swarms/{id}/stock-clients}) unless
     * {@link #closeToStockClients closed}; the images added with {@link #addStockImage} answer
     * {@code /stock-clients} and {@code /torrent-info}.
     */
    public void closeToStockClients(String swarmHex) {
        closedToStock.add(swarmHex);
    }

    public UUID addStockImage(byte[] info, boolean open) {
        UUID id = UUID.randomUUID();
        torrentInfo.put(id, info);
        imageOpen.put(id, open);
        return id;
    }

    /** Stock-client questions asked so far. */
    public int stockRequests() {
        return stockRequests.get();
    }

    private void handleStockSwarm(HttpExchange exchange) throws IOException {
        try (exchange) {
            String tail = exchange.getRequestURI().getPath().substring("/api/v1/swarms/".length());
            if (!tail.matches("[0-9a-f]{40}/stock-clients")) {
                respond(exchange, 404, "{\"title\":\"Not found\",\"status\":404}");
                return;
            }
            stockRequests.incrementAndGet();
            String swarm = tail.substring(0, 40);
            respond(exchange, 200, """
                    {"imageId":"%s","swarmId":"%s","open":%s}""".formatted(UUID.randomUUID(), swarm,
                    !closedToStock.contains(swarm)));
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String tail = exchange.getRequestURI().getPath().substring("/api/v1/images/".length());
            int slash = tail.indexOf('/');
            if (slash > 0) {
                UUID image = UUID.fromString(tail.substring(0, slash));
                String what = tail.substring(slash + 1);
                if (!torrentInfo.containsKey(image)) {
                    respond(exchange, 404, "{\"title\":\"Not found\",\"status\":404}");
                } else if (what.equals("stock-clients")) {
                    respond(exchange, 200, """
                            {"imageId":"%s","swarmId":"%s","open":%s}""".formatted(image, "ab".repeat(20),
                            imageOpen.get(image)));
                } else if (what.equals("torrent-info")) {
                    byte[] body = torrentInfo.get(image);
                    exchange.getResponseHeaders().set("Content-Type", "application/x-bittorrent");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                } else {
                    respond(exchange, 404, "{\"title\":\"Not found\",\"status\":404}");
                }
                return;
            }
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
            } else if (slow.contains(id)) {
                answerLate(id.toString());
                respond(exchange, 200, "{}");
            } else if (images.containsKey(id)) {
                respond(exchange, 200, images.get(id));
            } else {
                respond(exchange, 404, "{\"title\":\"Not found\",\"status\":404}");
            }
        }
    }

    /** The deliberate delay of a slow answer (see {@link #SLOW_ANSWER}). */
    private void answerLate(String key) {
        try {
            Thread.sleep(SLOW_ANSWER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        slowAnswered.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
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
