package io.bootswarm.seed.imports;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ImportServiceTest {

    @Test
    void sizesAreShownInBinaryUnits() {
        assertThat(ImportService.human(0)).isEqualTo("0 B");
        assertThat(ImportService.human(1023)).isEqualTo("1023 B");
        assertThat(ImportService.human(1024)).isEqualTo("1.0 KiB");
        assertThat(ImportService.human(64L * 1024 * 1024 + 12345)).isEqualTo("64.0 MiB");
        assertThat(ImportService.human(4L << 30)).isEqualTo("4.0 GiB");
        assertThat(ImportService.human(3L << 40)).isEqualTo("3.0 TiB");
    }
}
