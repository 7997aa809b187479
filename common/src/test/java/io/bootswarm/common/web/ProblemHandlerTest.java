package io.bootswarm.common.web;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/** {@link ProblemHandler} in a standalone MockMvc: every error becomes an RFC 9457 body. */
class ProblemHandlerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SECRET = "jdbc:postgresql://db.internal:5432/seed?password=hunter2";

    @RestController
    static class Endpoints {
        record Body(String name, long size) {
        }

        @GetMapping("/images/{id}")
        String image(@PathVariable String id) {
            throw ProblemException.notFound("image-not-found", "no image " + id).with("imageId", id);
        }

        @GetMapping("/conflict")
        String conflict() {
            throw ProblemException.conflict("duplicate-image", "an image named x exists");
        }

        @GetMapping("/bad-argument")
        String badArgument() {
            throw new IllegalArgumentException("size must be positive");
        }

        @GetMapping("/boom")
        String boom() {
            throw new IllegalStateException("cannot reach " + SECRET);
        }

        @GetMapping("/npe")
        String npe() {
            throw new NullPointerException("Cannot invoke \"io.bootswarm.seed.Catalog.find()\" because \"this.catalog\" is null");
        }

        @GetMapping("/pieces/{n}")
        String piece(@PathVariable int n) {
            return "piece " + n;
        }

        @PostMapping("/images")
        String create(@RequestBody Body body) {
            return body.name();
        }
    }

    private MockMvc mvc;

    @BeforeEach
    void setUp() {
        mvc = MockMvcBuilders.standaloneSetup(new Endpoints()).setControllerAdvice(new ProblemHandler()).build();
    }

    private JsonNode problem(MvcResult r, int status) throws Exception {
        assertThat(r.getResponse().getStatus()).isEqualTo(status);
        assertThat(MediaType.parseMediaType(r.getResponse().getContentType()))
                .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        JsonNode body = JSON.readTree(r.getResponse().getContentAsString());
        assertThat(body.get("status").asInt()).isEqualTo(status);
        return body;
    }

    @Test
    void problemExceptionBecomesItsProblemBody() throws Exception {
        MvcResult r = mvc.perform(get("/images/42").accept(MediaType.APPLICATION_JSON)).andReturn();
        JsonNode body = problem(r, 404);
        assertThat(body.get("type").asString()).isEqualTo("urn:bootswarm:problem:image-not-found");
        assertThat(body.get("title").asString()).isEqualTo("Not found");
        assertThat(body.get("detail").asString()).isEqualTo("no image 42");
        assertThat(body.get("imageId").asString()).isEqualTo("42");
        assertThat(body.get("instance").asString()).isEqualTo("/images/42");

        JsonNode conflict = problem(mvc.perform(get("/conflict")).andReturn(), 409);
        assertThat(conflict.get("type").asString()).isEqualTo("urn:bootswarm:problem:duplicate-image");
        assertThat(conflict.get("title").asString()).isEqualTo("Conflict");
    }

    @Test
    void problemExceptionMessageIsItsDetail() {
        assertThat(ProblemException.badRequest("bad-name", "name has a slash").getMessage()).isEqualTo("name has a slash");
        assertThat(ProblemException.badRequest("bad-name", "x").getStatusCode().value()).isEqualTo(400);
    }

    @Test
    void illegalArgumentIsABadRequest() throws Exception {
        JsonNode body = problem(mvc.perform(get("/bad-argument")).andReturn(), 400);
        assertThat(body.get("type").asString()).isEqualTo("urn:bootswarm:problem:bad-request");
        assertThat(body.get("title").asString()).isEqualTo("Bad request");
        assertThat(body.get("detail").asString()).isEqualTo("size must be positive");
    }

    @Test
    void unexpectedExceptionsAre500WithoutInternals() throws Exception {
        for (String path : new String[]{"/boom", "/npe"}) {
            MvcResult r = mvc.perform(get(path)).andReturn();
            JsonNode body = problem(r, 500);
            assertThat(body.get("type").asString()).isEqualTo("urn:bootswarm:problem:internal");
            assertThat(body.get("title").asString()).isEqualTo("Internal error");
            String text = r.getResponse().getContentAsString();
            assertThat(text).doesNotContain("hunter2", "db.internal", "IllegalStateException", "NullPointer",
                    "io.bootswarm", "at ", "Exception");
        }
    }

    @Test
    void springMvcErrorsAreProblemsToo() throws Exception {
        JsonNode mismatch = problem(mvc.perform(get("/pieces/abc")).andReturn(), 400);
        assertThat(mismatch.get("title").asString()).isNotBlank();

        problem(mvc.perform(post("/images").contentType(MediaType.APPLICATION_JSON).content("{\"name\":")).andReturn(), 400);
        problem(mvc.perform(post("/images").contentType(MediaType.TEXT_PLAIN).content("x")).andReturn(), 415);
        problem(mvc.perform(delete("/images/1")).andReturn(), 405);

        MvcResult ok = mvc.perform(post("/images").contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\":\"debian\",\"size\":5}")).andReturn();
        assertThat(ok.getResponse().getStatus()).isEqualTo(200);
        assertThat(ok.getResponse().getContentAsString()).isEqualTo("debian");
    }
}
