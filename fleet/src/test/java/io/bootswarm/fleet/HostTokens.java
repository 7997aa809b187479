package io.bootswarm.fleet;

import io.bootswarm.auth.AuthorizationServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One agent identity per simulated host, as the tracker's default {@code per-host} agent identity expects: host
 * {@code i} is the authorization server's client {@code agent-host-<i>} (role {@code agent}, claim {@code host}),
 * its token fetched with the client-credentials grant like a node agent's. Unlike
 * {@link AuthorizationServer#hostToken} it knows each token's expiry, so {@link #refresh} renews, before a phase,
 * exactly the tokens that would expire during it.
 */
final class HostTokens {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Token(String bearer, Instant expires) {
    }

    private final AuthorizationServer auth;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Token[] tokens;
    private final String[] basic;

    HostTokens(AuthorizationServer auth, int hosts) {
        this.auth = auth;
        this.tokens = new Token[hosts];
        this.basic = new String[hosts];
        for (int i = 0; i < hosts; i++) {
            AuthorizationServer.Client c = auth.register("agent-host-" + i, Set.of("agent"), "host-" + i);
            basic[i] = "Basic " + Base64.getEncoder().encodeToString((c.id() + ":" + c.secret())
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Fetches the token of every host that has none valid for {@code validFor} more, {@code parallel} at a time. */
    int refresh(Duration validFor, int parallel) throws Exception {
        Instant horizon = Instant.now().plus(validFor);
        List<Future<?>> pending = new ArrayList<>();
        int fetched = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] == null || tokens[i].expires().isBefore(horizon)) {
                    int host = i;
                    pending.add(pool.submit(() -> {
                        tokens[host] = fetch(host);
                        return null;
                    }));
                    fetched++;
                }
            }
            for (Future<?> f : pending) {
                f.get();
            }
        }
        return fetched;
    }

    /** The {@code Authorization} header of {@code host}. */
    String bearer(int host) {
        return tokens[host].bearer();
    }

    private Token fetch(int host) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(auth.tokenUri()))
                .header("Authorization", basic[host])
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("token of host " + host + ": HTTP " + r.statusCode() + " " + r.body());
        }
        JsonNode body = JSON.readTree(r.body());
        return new Token("Bearer " + body.get("access_token").asString(),
                Instant.now().plusSeconds(body.get("expires_in").asLong()));
    }
}
