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
 * Agent identities for the simulated hosts: identity {@code i} is the authorization server's client
 * {@code agent-host-<i>} (role {@code agent}, claim {@code host}), its token fetched with the client-credentials
 * grant like a node agent's; host {@code h} calls with identity {@code h % identities}, so with as many identities
 * as hosts each host has its own, as the tracker's default {@code per-host} agent identity has it. Unlike
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

    HostTokens(AuthorizationServer auth, int identities) {
        this.auth = auth;
        this.tokens = new Token[identities];
        this.basic = new String[identities];
        for (int i = 0; i < identities; i++) {
            AuthorizationServer.Client c = auth.register("agent-host-" + i, Set.of("agent"), "host-" + i);
            basic[i] = "Basic " + Base64.getEncoder().encodeToString((c.id() + ":" + c.secret())
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Fetches the token of every identity that has none valid for {@code validFor} more, {@code parallel} at a time. */
    int refresh(Duration validFor, int parallel) throws Exception {
        Instant horizon = Instant.now().plus(validFor);
        List<Future<?>> pending = new ArrayList<>();
        int fetched = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] == null || tokens[i].expires().isBefore(horizon)) {
                    int identity = i;
                    pending.add(pool.submit(() -> {
                        tokens[identity] = fetch(identity);
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
        return tokens[host % tokens.length].bearer();
    }

    private Token fetch(int identity) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(auth.tokenUri()))
                .header("Authorization", basic[identity])
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("token of identity " + identity + ": HTTP " + r.statusCode() + " " + r.body());
        }
        JsonNode body = JSON.readTree(r.body());
        return new Token("Bearer " + body.get("access_token").asString(),
                Instant.now().plusSeconds(body.get("expires_in").asLong()));
    }
}
