package io.bootswarm.fleet;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.Predicate;

/**
 * What an orchestrator does with the fleet, over the services' REST APIs: upload an image to the
 * seed, launch it through the tracker, wait for the hosts' NBD URIs, look at an agent's disks.
 * Used by {@code bin/fleet} and by the end-to-end tests.
 */
public final class FleetClient {

    /** A non-2xx answer, with its (problem) body. */
    public static final class HttpError extends IOException {
        private final int status;
        private final String body;

        HttpError(int status, String body, String what) {
            super(what + " answered " + status + ": " + body);
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();
    private final String trackerUrl;
    private final String seedUrl;
    private final Supplier<String> token;

    /**
     * @param token the bearer token each request carries (an orchestrator's and admin's: it uploads
     *              images and launches them), asked for anew on every request so that it can be renewed
     */
    public FleetClient(String trackerUrl, String seedUrl, Supplier<String> token) {
        this.trackerUrl = trackerUrl;
        this.seedUrl = seedUrl;
        this.token = token;
    }

    /** Streams {@code file} to the seed as image {@code name}; returns the image view. */
    public JsonNode uploadImage(String name, Path file) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(seedUrl + "/api/v1/images?name="
                        + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofFile(file)).build(), "upload");
    }

    public List<JsonNode> images(String name) throws IOException, InterruptedException {
        JsonNode list = get(seedUrl + "/api/v1/images?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
        return list.valueStream().toList();
    }

    public JsonNode image(UUID id) throws IOException, InterruptedException {
        return get(seedUrl + "/api/v1/images/" + id);
    }

    public JsonNode hosts() throws IOException, InterruptedException {
        return get(trackerUrl + "/api/v1/hosts");
    }

    /** Waits until the tracker lists {@code host} as UP. */
    public void awaitHostUp(String host, Duration timeout) throws IOException, InterruptedException {
        await(() -> hosts().valueStream().anyMatch(h -> host.equals(h.path("name").asString())
                && "UP".equals(h.path("state").asString())), timeout, "host " + host + " up");
    }

    /** Launches {@code imageId} on {@code hosts} with the default options; returns the launch view. */
    public JsonNode launch(UUID imageId, List<String> hosts, String idempotencyKey)
            throws IOException, InterruptedException {
        return launch(imageId, hosts, null, idempotencyKey);
    }

    /**
     * Launches {@code imageId} on {@code hosts}; returns the launch view.
     *
     * @param options the JSON launch options ({@code workload}, {@code policy}, {@code window},
     *                {@code backgroundFill}), or null for the defaults
     */
    public JsonNode launch(UUID imageId, List<String> hosts, Map<String, Object> options, String idempotencyKey)
            throws IOException, InterruptedException {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("imageId", imageId.toString());
        body.put("hosts", hosts);
        if (options != null) {
            body.put("options", options);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(trackerUrl + "/api/v1/launches"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return send(b.build(), "launch");
    }

    public JsonNode launch(UUID launchId) throws IOException, InterruptedException {
        return get(trackerUrl + "/api/v1/launches/" + launchId);
    }

    /** Waits until every host of the launch is READY; returns the launch view. */
    public JsonNode awaitLaunchReady(UUID launchId, Duration timeout) throws IOException, InterruptedException {
        return awaitLaunch(launchId, l -> l.path("hosts").valueStream()
                .allMatch(h -> "READY".equals(h.path("state").asString()) && h.hasNonNull("nbdUri")), timeout);
    }

    public JsonNode awaitLaunch(UUID launchId, Predicate<JsonNode> condition, Duration timeout)
            throws IOException, InterruptedException {
        JsonNode[] last = new JsonNode[1];
        await(() -> {
            last[0] = launch(launchId);
            for (JsonNode h : last[0].path("hosts")) {
                if ("FAILED".equals(h.path("state").asString())) {
                    throw new IOException("launch " + launchId + " failed on " + h.path("host").asString() + ": "
                            + h.path("detail").asString());
                }
            }
            return condition.test(last[0]);
        }, timeout, "launch " + launchId);
        return last[0];
    }

    /**
     * Creates a disk on one agent through its local API (what a host-local caller does).
     *
     * @param options the JSON launch options ({@code workload}, {@code policy}, {@code window},
     *                {@code backgroundFill}), or null for the defaults
     */
    public JsonNode createDisk(String agentUrl, UUID imageId, Map<String, Object> options)
            throws IOException, InterruptedException {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("imageId", imageId.toString());
        if (options != null) {
            body.put("options", options);
        }
        return send(HttpRequest.newBuilder(URI.create(agentUrl + "/api/v1/disks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(), "create disk");
    }

    /** A disk as its agent's local API shows it. */
    public JsonNode disk(String agentUrl, UUID diskId) throws IOException, InterruptedException {
        return get(agentUrl + "/api/v1/disks/" + diskId);
    }

    public JsonNode get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET().build(), "GET " + url);
    }

    private JsonNode send(HttpRequest request, String what) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(request, (n, v) -> true)
                .header("Authorization", "Bearer " + token.get()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new HttpError(r.statusCode(), r.body(), what);
        }
        return r.body().isEmpty() ? json.nullNode() : json.readTree(r.body());
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws IOException, InterruptedException;
    }

    static void await(Check check, Duration timeout, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (HttpError e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new IOException("timed out after " + timeout + " waiting for " + what
                + (last == null ? "" : " (last error: " + last.getMessage() + ")"));
    }
}
