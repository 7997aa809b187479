package io.bootswarm.testing;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tests' plain-HTTP client of one service on the loopback interface: the JDK's client, responses
 * read whole as text, JSON read by path or as a tree. Requests pass through an {@link Authorizer} (a
 * service's tests give the bearer token a real caller would have) unless sent {@link #sendAsIs as they are}.
 */
public class TestHttp {

    /** Adds what a real caller would send (a bearer token) to a request that has no Authorization header. */
    @FunctionalInterface
    public interface Authorizer {

        /** Sends requests as they are. */
        Authorizer NONE = (request, body) -> request;

        /** @param body the request's body as text, or null (none, or binary) */
        HttpRequest authorize(HttpRequest request, String body);
    }

    /** An HTTP response with its body parsed on demand. */
    public record Response(int status, Map<String, List<String>> headers, String body) {

        private static final JsonMapper JSON = JsonMapper.builder().build();

        public DocumentContext json() {
            return JsonPath.parse(body);
        }

        public <T> T json(String path) {
            return JsonPath.read(body, path);
        }

        public double number(String path) {
            return JsonPath.<Number>read(body, path).doubleValue();
        }

        /** The body as a Jackson tree. */
        public JsonNode tree() {
            return JSON.readTree(body);
        }

        /** The first value of header {@code name} (any case), or null. */
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst().map(e -> e.getValue().getFirst()).orElse(null);
        }

        public Optional<String> firstHeader(String name) {
            return Optional.ofNullable(header(name));
        }
    }

    /** How long one request may take unless it sets its own timeout. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final IntSupplier port;
    private final Authorizer authorizer;

    /** @param port the service's port, read at each request (a test's port is known once its context runs) */
    public TestHttp(IntSupplier port, Authorizer authorizer) {
        this.port = port;
        this.authorizer = authorizer;
    }

    public TestHttp(int port, Authorizer authorizer) {
        this(() -> port, authorizer);
    }

    public String base() {
        return "http://127.0.0.1:" + port.getAsInt();
    }

    public URI uri(String pathAndQuery) {
        return URI.create(base() + pathAndQuery);
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), null);
    }

    public Response delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE(), null);
    }

    public Response post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)), body);
    }

    public Response post(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), null);
    }

    public Response post(String path, String contentType, Path file) {
        try {
            return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                    .POST(HttpRequest.BodyPublishers.ofFile(file)), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response postJson(String path, String json) {
        return post(path, "application/json", json);
    }

    public Response put(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofString(body)), body);
    }

    public Response putJson(String path, String json) {
        return put(path, "application/json", json);
    }

    /** Sends {@code request} through the authorizer (which leaves one with an Authorization header alone). */
    public Response send(HttpRequest request) {
        return sendAsIs(authorizer.authorize(request, null));
    }

    /** Sends the request {@code builder} makes (with {@link #REQUEST_TIMEOUT} unless it sets one) through the authorizer. */
    public Response send(HttpRequest.Builder builder) {
        return send(builder, null);
    }

    private Response send(HttpRequest.Builder builder, String body) {
        return sendAsIs(authorizer.authorize(withTimeout(builder), body));
    }

    /** Sends {@code request} with the headers it has: without a token when it names none (an anonymous caller). */
    public Response sendAsIs(HttpRequest request) {
        HttpResponse<String> r = exchange(request, HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.headers().map(), r.body());
    }

    public Response sendAsIs(HttpRequest.Builder builder) {
        return sendAsIs(withTimeout(builder));
    }

    /** The JDK's response to the request {@code builder} makes, sent through the authorizer. */
    public HttpResponse<String> exchange(HttpRequest.Builder builder) {
        return exchange(authorizer.authorize(withTimeout(builder), null), HttpResponse.BodyHandlers.ofString());
    }

    /** The JDK's response to the request {@code builder} makes, sent with the headers it has. */
    public HttpResponse<String> exchangeAsIs(HttpRequest.Builder builder) {
        return exchange(withTimeout(builder), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET whose body is read as bytes. */
    public HttpResponse<byte[]> getBytes(String pathAndQuery) {
        return exchange(authorizer.authorize(withTimeout(HttpRequest.newBuilder(uri(pathAndQuery)).GET()), null),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpRequest withTimeout(HttpRequest.Builder builder) {
        HttpRequest r = builder.build();
        return r.timeout().isPresent() ? r : builder.timeout(REQUEST_TIMEOUT).build();
    }

    /** Sends {@code request} as it is, its body read by {@code body}. */
    public <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return client.send(request, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Asserts an RFC 9457 problem body of the given status and bootswarm slug. */
    public static void assertProblem(Response r, int status, String slug) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).as(r.body()).startsWith("application/problem+json");
        assertThat(r.<String>json("$.type")).isEqualTo("urn:bootswarm:problem:" + slug);
        assertThat(r.<Integer>json("$.status")).isEqualTo(status);
        assertThat(r.<String>json("$.detail")).isNotBlank();
    }
}
