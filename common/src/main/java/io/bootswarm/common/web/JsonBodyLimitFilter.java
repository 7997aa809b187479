package io.bootswarm.common.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bounds JSON request bodies ({@link RequestLimits#maxJsonBody()}): a body declared larger by its
 * {@code Content-Length} is refused without being read; a body without one (chunked) is read up to the limit and
 * refused as soon as it runs past it, or else handed on from memory. A refusal is a 413 RFC 9457 problem of type
 * {@code urn:bootswarm:problem:body-too-large}, counted in {@code bootswarm.web.body.rejected}. Other bodies
 * (octet-stream image uploads, CSV traces) pass untouched. Runs after authentication, so that only callers with
 * a token make the service read a body at all.
 */
public class JsonBodyLimitFilter extends OncePerRequestFilter implements Ordered {

    private static final Logger log = LoggerFactory.getLogger(JsonBodyLimitFilter.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final long limit;
    private final @Nullable Counter rejected;

    public JsonBodyLimitFilter(RequestLimits limits, @Nullable MeterRegistry meters) {
        this.limit = limits.maxJsonBody().toBytes();
        this.rejected = meters == null ? null : Counter.builder("bootswarm.web.body.rejected")
                .description("JSON request bodies refused as larger than bootswarm.web.max-json-body").register(meters);
    }

    @Override
    public int getOrder() {
        return 0;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!isJson(request.getContentType())) {
            chain.doFilter(request, response);
            return;
        }
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            refuse(request, response, declared + " bytes");
            return;
        }
        if (declared >= 0) {
            chain.doFilter(request, response);
            return;
        }
        byte[] body = request.getInputStream().readNBytes((int) limit + 1);
        if (body.length > limit) {
            refuse(request, response, "more than " + limit + " bytes");
            return;
        }
        chain.doFilter(new BufferedBody(request, body), response);
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, String size) throws IOException {
        if (rejected != null) {
            rejected.increment();
        }
        log.info("refused a JSON body of {} on {} {} (limit {} bytes)", size, request.getMethod(),
                request.getRequestURI(), limit);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "urn:bootswarm:problem:body-too-large");
        p.put("title", "Content too large");
        p.put("status", HttpStatus.CONTENT_TOO_LARGE.value());
        p.put("detail", "the JSON request body is larger than " + limit + " bytes");
        p.put("instance", request.getRequestURI());
        p.put("maxBytes", limit);
        response.setStatus(HttpStatus.CONTENT_TOO_LARGE.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(JSON.writeValueAsBytes(p));
    }

    static boolean isJson(@Nullable String contentType) {
        if (contentType == null) {
            return false;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return MediaType.APPLICATION_JSON.isCompatibleWith(type) && !type.isWildcardSubtype()
                    || type.getSubtypeSuffix() != null && type.getSubtypeSuffix().equals("json");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A request whose body was read into memory. */
    private static final class BufferedBody extends HttpServletRequestWrapper {

        private final byte[] body;

        BufferedBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public ServletInputStream getInputStream() {
            InputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    try {
                        return in.available() == 0;
                    } catch (IOException e) {
                        return true;
                    }
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("the body is already in memory");
                }

                @Override
                public int read() throws IOException {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }
}
