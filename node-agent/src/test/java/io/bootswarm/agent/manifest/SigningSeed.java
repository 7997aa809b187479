package io.bootswarm.agent.manifest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.common.manifest.ManifestSignature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stub seed-service for agent tests: serves the manifests it is given, signed by its key pair, and
 * publishes that key at {@code /api/v1/manifest-keys}. The key that signs and the key published can
 * be changed apart, to play a seed that signs with a key agents do not trust. It also answers the
 * tracker's {@code GET /api/v1/seeds} with itself, for agents that find their seed through the tracker.
 */
public final class SigningSeed implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
    private final AtomicInteger manifestRequests = new AtomicInteger();
    private final AtomicInteger keyRequests = new AtomicInteger();
    private volatile KeyPair signing;
    private volatile KeyPair published;

    public SigningSeed() throws IOException {
        signing = published = ManifestSignature.generateKeyPair();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/manifest-keys", exchange -> {
            keyRequests.incrementAndGet();
            send(exchange, JSON.writeValueAsBytes(List.of(ManifestKey.of(published.getPublic()))));
        });
        server.createContext("/api/v1/seeds", exchange -> send(exchange, JSON.writeValueAsBytes(List.of(
                Map.of("id", "stub-seed", "peerHost", "127.0.0.1", "peerPort", 1, "apiUrl", url())))));
        server.createContext("/api/v1/images/", exchange -> {
            String[] parts = exchange.getRequestURI().getPath().split("/");
            Manifest m = parts.length == 6 && parts[5].equals("manifest") ? manifests.get(parts[4]) : null;
            if (m == null) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            manifestRequests.incrementAndGet();
            KeyPair k = signing;
            exchange.getResponseHeaders().add(ManifestSignature.KEY_HEADER, ManifestSignature.keyId(k.getPublic()));
            exchange.getResponseHeaders().add(ManifestSignature.SIGNATURE_HEADER, Base64.getEncoder()
                    .encodeToString(ManifestSignature.sign(m.toDocument(), k.getPrivate())));
            send(exchange, JSON.writeValueAsBytes(m.toDocument()));
        });
        server.start();
    }

    private static void send(HttpExchange exchange, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    /** Serves {@code m}'s manifest from now on. */
    public SigningSeed serve(Manifest m) {
        manifests.put(m.imageId().toString(), m);
        return this;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The published key pair. */
    public KeyPair keys() {
        return published;
    }

    /** Base64 X.509 of the published key: what {@code bootswarm.agent.manifest-keys} pins. */
    public String publicKey() {
        return ManifestSignature.encodePublicKey(published.getPublic());
    }

    /** Signs with {@code k} from now on, still publishing the old key. */
    public void signWith(KeyPair k) {
        signing = k;
    }

    /** Signs with and publishes {@code k} from now on (a seed whose key changed, or was replaced). */
    public void rotateTo(KeyPair k) {
        signing = published = k;
    }

    public int manifestRequests() {
        return manifestRequests.get();
    }

    public int keyRequests() {
        return keyRequests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
