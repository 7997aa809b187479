package io.bootswarm.common.manifest;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSplitter.Split;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The swarm id is the BitTorrent v1 info hash, checked against stock tools from Debian:
 * {@code mktorrent} creates the .torrent, {@code transmission-show} (transmission-cli) and a
 * standard-library-only Python script each compute its info hash. Requires
 * {@code apt-get install -y mktorrent transmission-cli python3}; fails (never skips) without them.
 */
class SwarmIdTorrentOracleIT {

    private static final String INSTALL = "apt-get install -y mktorrent transmission-cli python3";

    /** Finds the raw bytes of the info dictionary with a tiny bdecoder, SHA-1s them. No third-party libs. */
    private static final String PYTHON_INFO_HASH = """
            import hashlib, sys
            data = open(sys.argv[1], 'rb').read()
            def skip(i):
                c = data[i:i+1]
                if c == b'i':
                    return data.index(b'e', i) + 1
                if c in (b'l', b'd'):
                    i += 1
                    while data[i:i+1] != b'e':
                        i = skip(i)
                    return i + 1
                colon = data.index(b':', i)
                return colon + 1 + int(data[i:colon])
            assert data[0:1] == b'd'
            i = 1
            while data[i:i+1] != b'e':
                kend = skip(i)
                key = data[data.index(b':', i) + 1:kend]
                vend = skip(kend)
                if key == b'info':
                    print(hashlib.sha1(data[kend:vend]).hexdigest())
                i = vend
            """;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} bytes in pieces of 2^{1}")
    @CsvSource({
            "1, 15",
            "32768, 15",
            "3000001, 15",
            "3145728, 18",
            "5000000, 18",
            "4194305, 20",
    })
    void swarmIdEqualsTheInfoHashOfAStockTorrent(int size, int log2PieceLength) throws Exception {
        int pieceLength = 1 << log2PieceLength;
        String name = "débian-12 ✓ " + size + ".img";
        Path image = dir.resolve(name);
        Files.write(image, image(size));

        Split split;
        try (InputStream in = Files.newInputStream(image)) {
            split = new PieceSplitter(pieceLength, Long.MAX_VALUE).split(in, null, null);
        }
        String ours = split.swarmId(name).hex();

        Path torrent = dir.resolve("m.torrent");
        run(List.of("mktorrent", "-l", Integer.toString(log2PieceLength), "-d", "-a", "http://tracker.invalid/announce",
                "-o", torrent.toString(), image.toString()));
        assertThat(transmissionShowHash(torrent)).as("transmission-show info hash of mktorrent's torrent").isEqualTo(ours);
        assertThat(run(List.of("python3", "-c", PYTHON_INFO_HASH, torrent.toString())).strip())
                .as("python3 stdlib info hash of mktorrent's torrent").isEqualTo(ours);

        // our decoder sees the same dictionary mktorrent wrote
        Map<?, ?> meta = (Map<?, ?>) Bencode.decode(Files.readAllBytes(torrent));
        Map<?, ?> info = (Map<?, ?>) meta.get("info");
        assertThat(info.get("length")).isEqualTo((long) size);
        assertThat(info.get("piece length")).isEqualTo((long) pieceLength);
        assertThat((byte[]) info.get("pieces")).isEqualTo(split.sha1());
        assertThat(new String((byte[]) info.get("name"), StandardCharsets.UTF_8)).isEqualTo(name);
        assertThat(MessageDigest.getInstance("SHA-1").digest(Bencode.encode(info))).isEqualTo(split.swarmId(name).toBytes());

        // transmission-create adds "private": 0 to the info dictionary (so its hash differs from
        // the swarm id); with that key added, our encoder must reproduce its hash too
        Path tc = dir.resolve("t.torrent");
        run(List.of("transmission-create", "-s", Integer.toString(pieceLength / 1024), "-o", tc.toString(),
                image.toString()));
        Map<String, Object> withPrivate = new LinkedHashMap<>(split.infoDictionary(name));
        Map<?, ?> tcInfo = (Map<?, ?>) ((Map<?, ?>) Bencode.decode(Files.readAllBytes(tc))).get("info");
        tcInfo.keySet().stream().filter(k -> !withPrivate.containsKey(k))
                .forEach(k -> withPrivate.put((String) k, tcInfo.get(k)));
        String expected = java.util.HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-1").digest(Bencode.encode(withPrivate)));
        assertThat(transmissionShowHash(tc)).as("transmission-create's info hash").isEqualTo(expected);
    }

    private static byte[] image(int size) {
        byte[] b = new byte[size];
        Random r = new Random(size);
        r.nextBytes(b);
        // zero regions, as real images have
        Arrays.fill(b, size / 4, size / 2, (byte) 0);
        return b;
    }

    private static String transmissionShowHash(Path torrent) throws Exception {
        String out = run(List.of("transmission-show", torrent.toString()));
        Matcher m = Pattern.compile("(?m)^\\s*Hash:\\s*([0-9a-fA-F]{40})\\s*$").matcher(out);
        if (!m.find()) {
            fail("no info hash in transmission-show output:\n" + out);
        }
        return m.group(1).toLowerCase();
    }

    private static String run(List<String> command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("'" + command.get(0) + "' is missing: this test needs stock BitTorrent tools as "
                    + "oracles; install them with: " + INSTALL, e);
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " did not finish");
        }
        if (p.exitValue() != 0) {
            fail(command + " exited with " + p.exitValue() + ":\n" + out);
        }
        return out;
    }
}
