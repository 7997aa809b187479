package io.bootswarm.seed.catalog;

import io.bootswarm.common.web.ProblemException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "0", "debian-12", "ubuntu_24.04", "a.b-c_d", "9lives", "x--y..z__"})
    void acceptsLowerCaseNames(String name) {
        assertThat(ImageName.isValid(name)).isTrue();
        assertThat(ImageName.check(name)).isEqualTo(name);
    }

    @Test
    void acceptsUpTo128Characters() {
        assertThat(ImageName.isValid("a".repeat(128))).isTrue();
        assertThat(ImageName.isValid("a".repeat(129))).isFalse();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"Debian", "-x", ".x", "_x", "a b", "a/b", "a\\b", "ä", "a\n", "a:b", " a", "a*"})
    void rejectsEverythingElseWithAProblem(String name) {
        assertThat(ImageName.isValid(name)).isFalse();
        assertThatThrownBy(() -> ImageName.check(name))
                .isInstanceOfSatisfying(ProblemException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
                    assertThat(e.getBody().getType().toString()).isEqualTo("urn:bootswarm:problem:bad-image-name");
                    assertThat(e.getBody().getDetail()).isNotBlank();
                });
    }

    @Test
    void longBadNamesAreShortenedInTheProblem() {
        String name = "X".repeat(10_000);
        assertThatThrownBy(() -> ImageName.check(name)).isInstanceOfSatisfying(ProblemException.class,
                e -> assertThat(e.getBody().getDetail().length()).isLessThan(400));
    }
}
