package io.bootswarm.seed;

import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.testing.TestHttp;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The seed's REST API as its tests call it: the shared {@link TestHttp} client, with the operator's
 * bearer token ({@link Tokens#operator()}) unless a request sets an {@code Authorization} header of its
 * own, the JDK's responses, JSON read as trees, and the upload endpoint's shortcuts.
 */
public final class Api {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TestHttp http;

    public Api(int port) {
        this.http = new TestHttp(port, (request, body) -> Tokens.authorized(request));
    }

    public String base() {
        return http.base();
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(http.uri(path)).GET());
    }

    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(http.uri(path)).DELETE());
    }

    public HttpResponse<String> postJson(String path, String json) {
        return send(HttpRequest.newBuilder(http.uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> upload(String name, Path file) {
        try {
            return send(uploadRequest(name).POST(HttpRequest.BodyPublishers.ofFile(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public HttpResponse<String> upload(String name, byte[] body) {
        return send(uploadRequest(name).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private HttpRequest.Builder uploadRequest(String name) {
        return HttpRequest.newBuilder(http.uri("/api/v1/images?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/octet-stream");
    }

    /** Sends {@code request} with the operator's token unless it has an Authorization header. */
    public HttpResponse<String> send(HttpRequest.Builder request) {
        return http.exchange(request);
    }

    /** Sends {@code request} as it is: without a token unless it has one (an anonymous caller). */
    public HttpResponse<String> sendAsIs(HttpRequest.Builder request) {
        return http.exchangeAsIs(request);
    }

    public static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    public static JsonNode json(String body) {
        return JSON.readTree(body);
    }
}
