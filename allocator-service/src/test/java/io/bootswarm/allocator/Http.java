package io.bootswarm.allocator;

import com.jayway.jsonpath.JsonPath;
import io.bootswarm.infra.auth.Tokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain-HTTP calls to one allocator-service instance, with the operator's bearer token
 * ({@link Tokens#operator()}) unless a request sets an {@code Authorization} header of its own.
 */
public final class Http {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final IntSupplier port;

    public Http(IntSupplier port) {
        this.port = port;
    }

    /** A response with its body parsed on demand. */
    public record Response(int status, Map<String, List<String>> headers, String body) {
        public <T> T json(String path) {
            return JsonPath.read(body, path);
        }

        public double number(String path) {
            return JsonPath.<Number>read(body, path).doubleValue();
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst().map(e -> e.getValue().getFirst()).orElse(null);
        }
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    public Response put(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public Response post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public Response putJson(String path, String body) {
        return put(path, "application/json", body);
    }

    public Response postJson(String path, String body) {
        return post(path, "application/json", body);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port.getAsInt() + path);
    }

    /** Sends {@code request} with the operator's token unless it has an Authorization header. */
    public Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(Tokens.authorized(request), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().map(), r.body());
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
