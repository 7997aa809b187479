package io.bootswarm.common.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.validation.beanvalidation.LocalValidatorFactoryBean;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/**
 * {@link ProblemHandler} in a standalone MockMvc: every error becomes an RFC 9457 body typed
 * {@code urn:bootswarm:problem:<slug>}, and nothing but a {@link ProblemException} is a client error by accident.
 */
class ProblemHandlerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SECRET = "jdbc:postgresql://db.internal:5432/seed?password=hunter2";

    @RestController
    static class Endpoints {
        record Body(String name, long size) {
        }

        record Launch(@NotNull UUID imageId, @NotEmpty List<@NotNull @Pattern(regexp = "[a-z]+") String> hosts) {
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

        @PostMapping("/launches")
        String launch(@Valid @RequestBody Launch launch) {
            return launch.hosts().getFirst();
        }

        @GetMapping("/hosts/{name}")
        String host(@PathVariable @Pattern(regexp = "[a-z]+", message = "must be lower-case letters") String name) {
            return name;
        }

        @GetMapping("/search")
        String search(@RequestParam String name, @RequestParam(defaultValue = "0") int page) {
            return name + page;
        }

        @GetMapping("/status")
        String status() {
            throw new ResponseStatusException(HttpStatus.CONFLICT, "already there");
        }
    }

    private MockMvc mvc;

    @BeforeEach
    void setUp() {
        LocalValidatorFactoryBean validator = new LocalValidatorFactoryBean();
        validator.afterPropertiesSet();
        mvc = MockMvcBuilders.standaloneSetup(new Endpoints()).setControllerAdvice(new ProblemHandler())
                .setValidator(validator).build();
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
    void unexpectedExceptionsAre500WithoutInternals() throws Exception {
        for (String path : new String[]{"/boom", "/npe", "/bad-argument"}) {
            MvcResult r = mvc.perform(get(path)).andReturn();
            JsonNode body = problem(r, 500);
            assertThat(body.get("type").asString()).isEqualTo("urn:bootswarm:problem:internal");
            assertThat(body.get("title").asString()).isEqualTo("Internal error");
            String text = r.getResponse().getContentAsString();
            assertThat(text).doesNotContain("hunter2", "db.internal", "IllegalStateException", "NullPointer",
                    "io.bootswarm", "at ", "Exception", "size must be positive");
        }
    }

    private static String type(JsonNode problem) {
        return problem.get("type").asString();
    }

    @Test
    void unreadableBodiesAreMalformedBodyProblemsThatSayWhere() throws Exception {
        JsonNode truncated = problem(mvc.perform(post("/images").contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\":")).andReturn(), 400);
        assertThat(type(truncated)).isEqualTo("urn:bootswarm:problem:malformed-body");
        assertThat(truncated.get("detail").asString()).startsWith("malformed JSON request body at line 1, column ");

        JsonNode wrongType = problem(mvc.perform(post("/images").contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\":\"x\",\"size\":\"big\"}")).andReturn(), 400);
        assertThat(type(wrongType)).isEqualTo("urn:bootswarm:problem:malformed-body");
        assertThat(wrongType.get("detail").asString()).isEqualTo("malformed JSON request body: cannot read 'size'");

        JsonNode badElement = problem(mvc.perform(post("/launches").contentType(MediaType.APPLICATION_JSON)
                .content("{\"imageId\":\"" + UUID.randomUUID() + "\",\"hosts\":[\"a\",{}]}")).andReturn(), 400);
        assertThat(badElement.get("detail").asString()).isEqualTo("malformed JSON request body: cannot read 'hosts[1]'");

        JsonNode none = problem(mvc.perform(post("/images").contentType(MediaType.APPLICATION_JSON)).andReturn(), 400);
        assertThat(type(none)).isEqualTo("urn:bootswarm:problem:malformed-body");
        assertThat(none.get("detail").asString()).isEqualTo("a JSON request body is required");
    }

    @Test
    void badAndMissingParametersAreNamed() throws Exception {
        JsonNode path = problem(mvc.perform(get("/pieces/abc")).andReturn(), 400);
        assertThat(type(path)).isEqualTo("urn:bootswarm:problem:bad-parameter");
        assertThat(path.get("detail").asString()).isEqualTo("'n' must be a valid int, got 'abc'");

        JsonNode query = problem(mvc.perform(get("/search").param("name", "x").param("page", "two")).andReturn(), 400);
        assertThat(type(query)).isEqualTo("urn:bootswarm:problem:bad-parameter");
        assertThat(query.get("detail").asString()).contains("'page'", "'two'");

        JsonNode missing = problem(mvc.perform(get("/search")).andReturn(), 400);
        assertThat(type(missing)).isEqualTo("urn:bootswarm:problem:missing-parameter");
        assertThat(missing.get("detail").asString()).contains("name");
    }

    @Test
    void failedValidationIsAnInvalidRequestListingEveryField() throws Exception {
        JsonNode body = problem(mvc.perform(post("/launches").contentType(MediaType.APPLICATION_JSON)
                .content("{\"hosts\":[\"ok\",\"Bad_Name\",null]}")).andReturn(), 400);
        assertThat(type(body)).isEqualTo("urn:bootswarm:problem:invalid-request");
        assertThat(body.get("errors").valueStream().map(e -> e.get("field").asString()).toList())
                .containsExactly("hosts[1]", "hosts[2]", "imageId");
        assertThat(body.get("errors").get(2).get("message").asString()).isEqualTo("must not be null");
        assertThat(body.get("detail").asString()).startsWith("invalid request: hosts[1]: ").contains("imageId: must not be null");

        JsonNode parameter = problem(mvc.perform(get("/hosts/Not_Lower")).andReturn(), 400);
        assertThat(type(parameter)).isEqualTo("urn:bootswarm:problem:invalid-request");
        assertThat(parameter.get("errors").get(0).get("field").asString()).isEqualTo("name");
        assertThat(parameter.get("errors").get(0).get("message").asString()).isEqualTo("must be lower-case letters");
        assertThat(parameter.get("detail").asString()).isEqualTo("invalid request: name: must be lower-case letters");
    }

    @Test
    void otherSpringErrorsAreTypedByTheirStatus() throws Exception {
        JsonNode unsupported = problem(mvc.perform(post("/images").contentType(MediaType.TEXT_PLAIN).content("x"))
                .andReturn(), 415);
        assertThat(type(unsupported)).isEqualTo("urn:bootswarm:problem:unsupported-media-type");

        MvcResult notAllowed = mvc.perform(delete("/images/1")).andReturn();
        assertThat(type(problem(notAllowed, 405))).isEqualTo("urn:bootswarm:problem:method-not-allowed");
        assertThat(notAllowed.getResponse().getHeader("Allow")).contains("GET");

        assertThat(type(problem(mvc.perform(get("/no/such/path")).andReturn(), 404)))
                .isEqualTo("urn:bootswarm:problem:not-found");

        JsonNode status = problem(mvc.perform(get("/status")).andReturn(), 409);
        assertThat(type(status)).isEqualTo("urn:bootswarm:problem:conflict");
        assertThat(status.get("detail").asString()).isEqualTo("already there");
    }

    @Test
    void validRequestsStillWork() throws Exception {
        MvcResult ok = mvc.perform(post("/images").contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\":\"debian\",\"size\":5}")).andReturn();
        assertThat(ok.getResponse().getStatus()).isEqualTo(200);
        assertThat(ok.getResponse().getContentAsString()).isEqualTo("debian");
        MvcResult launched = mvc.perform(post("/launches").contentType(MediaType.APPLICATION_JSON)
                .content("{\"imageId\":\"" + UUID.randomUUID() + "\",\"hosts\":[\"a\"]}")).andReturn();
        assertThat(launched.getResponse().getContentAsString()).isEqualTo("a");
        assertThat(mvc.perform(get("/hosts/abc")).andReturn().getResponse().getContentAsString()).isEqualTo("abc");
    }
}
