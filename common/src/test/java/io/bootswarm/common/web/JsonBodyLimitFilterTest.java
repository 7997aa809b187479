package io.bootswarm.common.web;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JSON bodies over the limit are refused with a 413 problem before anything reads them, whether their size is
 * declared or not (chunked); bodies within it reach the handler byte for byte; other media types pass whatever
 * their size.
 */
class JsonBodyLimitFilterTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int LIMIT = 1024;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final JsonBodyLimitFilter filter = new JsonBodyLimitFilter(new RequestLimits(DataSize.ofBytes(LIMIT)),
            meters);

    /** A request whose body arrives without a Content-Length, as a chunked one does. */
    private static MockHttpServletRequest chunked(String contentType, byte[] body) {
        MockHttpServletRequest r = new MockHttpServletRequest("POST", "/api/v1/things") {
            @Override
            public int getContentLength() {
                return -1;
            }

            @Override
            public long getContentLengthLong() {
                return -1;
            }
        };
        r.setContentType(contentType);
        r.setContent(body);
        return r;
    }

    private static MockHttpServletRequest declared(String contentType, byte[] body) {
        MockHttpServletRequest r = new MockHttpServletRequest("POST", "/api/v1/things");
        r.setContentType(contentType);
        r.setContent(body);
        return r;
    }

    private static byte[] json(int size) {
        String s = "{\"pad\":\"" + "x".repeat(size - 10) + "\"}";
        assertThat(s.length()).isEqualTo(size);
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private double rejected() {
        return meters.counter("bootswarm.web.body.rejected").count();
    }

    @Test
    void aDeclaredOversizeJsonBodyIs413WithAProblemAndNeverReachesTheHandler() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();

        filter.doFilter(declared("application/json", json(LIMIT + 1)), response, chain);

        assertThat(chain.getRequest()).isNull();
        assertThat(response.getStatus()).isEqualTo(413);
        assertThat(response.getContentType()).isEqualTo("application/problem+json");
        JsonNode problem = JSON.readTree(response.getContentAsByteArray());
        assertThat(problem.path("type").asString()).isEqualTo("urn:bootswarm:problem:body-too-large");
        assertThat(problem.path("status").asInt()).isEqualTo(413);
        assertThat(problem.path("maxBytes").asLong()).isEqualTo(LIMIT);
        assertThat(rejected()).isEqualTo(1);
    }

    @Test
    void aChunkedOversizeJsonBodyIsRefusedAfterReadingOnlyOneByteMoreThanTheLimit() throws Exception {
        MockHttpServletRequest request = chunked("application/merge-patch+json", json(10 * LIMIT));
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();

        filter.doFilter(request, response, chain);

        assertThat(chain.getRequest()).isNull();
        assertThat(response.getStatus()).isEqualTo(413);
        assertThat(request.getInputStream().readAllBytes()).hasSize(10 * LIMIT - LIMIT - 1);
        assertThat(rejected()).isEqualTo(1);
    }

    @Test
    void jsonBodiesWithinTheLimitReachTheHandlerWhole() throws Exception {
        byte[] body = json(LIMIT);
        MockFilterChain declaredChain = new MockFilterChain();
        MockFilterChain chunkedChain = new MockFilterChain();

        filter.doFilter(declared("application/json;charset=UTF-8", body), new MockHttpServletResponse(), declaredChain);
        filter.doFilter(chunked("application/json", body), new MockHttpServletResponse(), chunkedChain);

        assertThat(declaredChain.getRequest().getInputStream().readAllBytes()).isEqualTo(body);
        assertThat(chunkedChain.getRequest().getInputStream().readAllBytes()).isEqualTo(body);
        assertThat(chunkedChain.getRequest().getContentLengthLong()).isEqualTo(LIMIT);
        assertThat(rejected()).isZero();
    }

    @Test
    void streamedUploadsOfOtherTypesPassWhateverTheirSize() throws Exception {
        byte[] image = new byte[100 * LIMIT];
        MockFilterChain octets = new MockFilterChain();
        MockFilterChain csv = new MockFilterChain();

        filter.doFilter(chunked("application/octet-stream", image), new MockHttpServletResponse(), octets);
        filter.doFilter(declared("text/csv", image), new MockHttpServletResponse(), csv);

        assertThat(octets.getRequest().getInputStream().readAllBytes()).hasSize(image.length);
        assertThat(csv.getRequest().getInputStream().readAllBytes()).hasSize(image.length);
        assertThat(rejected()).isZero();
    }

    @Test
    void recognisesJsonMediaTypes() {
        assertThat(JsonBodyLimitFilter.isJson("application/json")).isTrue();
        assertThat(JsonBodyLimitFilter.isJson("application/json; charset=utf-8")).isTrue();
        assertThat(JsonBodyLimitFilter.isJson("application/problem+json")).isTrue();
        assertThat(JsonBodyLimitFilter.isJson("application/octet-stream")).isFalse();
        assertThat(JsonBodyLimitFilter.isJson("text/csv")).isFalse();
        assertThat(JsonBodyLimitFilter.isJson("*/*")).isFalse();
        assertThat(JsonBodyLimitFilter.isJson("not a type")).isFalse();
        assertThat(JsonBodyLimitFilter.isJson(null)).isFalse();
    }
}
