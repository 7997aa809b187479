package io.bootswarm.common.manifest;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for the manifest document (README "Fuzzing"): JSON read as the agent reads a
 * manifest file, then {@link ManifestDocument#toManifest()}. A document is either rejected with
 * {@link JacksonException} or {@link IllegalArgumentException}, or it is a consistent manifest.
 */
class ManifestDocumentFuzzTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @FuzzTest(maxDuration = "30s")
    void json(byte[] input) {
        ManifestDocument doc;
        try {
            doc = JSON.readValue(new String(input, StandardCharsets.UTF_8), ManifestDocument.class);
        } catch (JacksonException expected) {
            return;
        }
        check(doc);
    }

    /** Documents built field by field, to reach the consistency checks more often than JSON does. */
    @FuzzTest(maxDuration = "30s")
    void document(FuzzedDataProvider data) {
        long size = data.consumeLong(-2, 1L << 36);
        int pieceSize = data.pickValue(new int[]{16384, 65536, 1 << 20, 4 << 20, 0, -16384, 16383, 1 << 27,
                data.consumeInt()});
        String swarmId = data.consumeBoolean() ? "a".repeat(40) : data.consumeString(80);
        byte[] hashes = data.consumeBytes(data.consumeInt(0, 64 * 32));
        byte[] zeros = data.consumeRemainingAsBytes();
        ManifestDocument doc = new ManifestDocument(UUID.randomUUID(), "img", size, pieceSize, swarmId,
                hashes, zeros);
        check(doc);
    }

    private static void check(ManifestDocument doc) {
        if (doc == null) {
            return;
        }
        Manifest m;
        try {
            m = doc.toManifest();
        } catch (IllegalArgumentException expected) {
            return;
        }
        assertThat(m.pieceCount()).isPositive();
        long total = 0;
        for (int i = 0; i < m.pieceCount(); i++) {
            int length = m.pieceLength(i);
            assertThat(length).isBetween(1, m.pieceSize());
            total += length;
            assertThat(m.hash(i)).isNotNull();
        }
        assertThat(total).isEqualTo(m.size());
    }
}
