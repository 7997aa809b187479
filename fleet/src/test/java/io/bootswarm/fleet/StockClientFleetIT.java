package io.bootswarm.fleet;

import io.bootswarm.common.manifest.TorrentMetainfo;
import io.bootswarm.common.wire.PeerWireServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real stock BitTorrent client, aria2c (Debian package {@code aria2}), against the fleet's tracker
 * and seed: with a valid passkey it fetches an image an admin opened to stock clients, SHA-256
 * equal; with a wrong passkey, or for an image not opened, it gets nothing. Skipped, with a message
 * naming the package, when aria2c is not installed. The user gets a passkey ({@code POST
 * /api/v1/passkeys}) and the .torrent ({@code GET /api/v1/images/{id}/torrent}) with a viewer's token;
 * the refused cases use .torrent files built the same way by hand (the endpoint refuses to make one
 * for an image that is not open).
 */
class StockClientFleetIT extends FleetITSupport {

    private static final long SIZE = 3L * 1024 * 1024 + 12345;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void aria2cIsInstalled() {
        boolean present;
        try {
            present = Tools.run(Duration.ofSeconds(20), "aria2c", "--version").exit() == 0;
        } catch (AssertionError | IOException | InterruptedException e) {
            present = false;
        }
        assumeTrue(present, "aria2c is not installed: apt-get install -y aria2 (Debian package aria2)");
    }

    @Test
    void aria2cFetchesAnOpenedImageWithAValidPasskeyAndNothingElse() throws Exception {
        Path file = Tools.image(work.resolve("stock.img"), SIZE, 77);
        JsonNode image = client.uploadImage("stock-" + UUID.randomUUID().toString().substring(0, 8), file);
        UUID id = UUID.fromString(image.get("id").asString());
        Path closedFile = Tools.image(work.resolve("closed.img"), SIZE, 78);
        UUID closed = UUID.fromString(client.uploadImage("closed-" + UUID.randomUUID().toString().substring(0, 8),
                closedFile).get("id").asString());
        assertThat(put(fleet.seedUrl() + "/api/v1/images/" + id + "/stock-clients", "{\"open\":true}",
                fleet.auth().token("viewer"))).as("only an admin opens an image").isEqualTo(403);
        assertThat(put(fleet.seedUrl() + "/api/v1/images/" + id + "/stock-clients", "{\"open\":true}",
                fleet.auth().token("admin"))).isEqualTo(200);
        HttpResponse<String> issued = http.send(HttpRequest.newBuilder(URI.create(fleet.trackerUrl() + "/api/v1/passkeys"))
                .header("Authorization", "Bearer " + fleet.auth().token("viewer"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        String passkey = tools.jackson.databind.json.JsonMapper.builder().build().readTree(issued.body())
                .get("passkey").asString();
        assertThat(downloadTorrent(closed, passkey).statusCode()).as("no .torrent of a closed image").isEqualTo(409);
        PeerWireServer seedWire = fleet.seed().getBean(PeerWireServer.class);

        // a wrong passkey: the tracker answers with a failure reason, the client never learns the seed;
        // an image that is not opened: refused as well, even with a valid passkey (both clients at once: each
        // waits out its timeout without progress)
        long servedBefore = seedWire.bytesServed();
        Path wrongTorrent = torrent(id, "0".repeat(32));
        CompletableFuture<Path> wrongRun = CompletableFuture.supplyAsync(() -> {
            try {
                return aria2c("wrong", wrongTorrent);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        Path notOpen = aria2c("not-open", torrent(closed, passkey));
        Path wrong = wrongRun.join();
        assertThat(Files.exists(wrong.resolve(image.get("name").asString()))
                && Tools.sha256(wrong.resolve(image.get("name").asString())).equals(Tools.sha256(file))).isFalse();
        assertThat(Files.list(notOpen).filter(p -> !p.getFileName().toString().endsWith(".aria2")).toList())
                .allSatisfy(p -> assertThat(Tools.sha256(p)).isNotEqualTo(Tools.sha256(closedFile)));
        assertThat(seedWire.bytesServed()).as("the seed served nothing").isEqualTo(servedBefore);

        // the opened image with a valid passkey: the whole image, byte for byte
        HttpResponse<byte[]> downloaded = downloadTorrent(id, passkey);
        assertThat(downloaded.statusCode()).isEqualTo(200);
        Path ok = aria2c("ok", Files.write(work.resolve("downloaded.torrent"), downloaded.body()));
        Path got = ok.resolve(image.get("name").asString());
        assertThat(got).exists();
        assertThat(Tools.sha256(got)).isEqualTo(Tools.sha256(file));
        assertThat(seedWire.bytesServed() - servedBefore).isPositive();
    }

    /** {@code GET /api/v1/images/{id}/torrent} as the viewer whose passkey it is. */
    private HttpResponse<byte[]> downloadTorrent(UUID image, String passkey) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(fleet.trackerUrl() + "/api/v1/images/" + image + "/torrent"))
                .header("Authorization", "Bearer " + fleet.auth().token("viewer"))
                .header("Bootswarm-Passkey", passkey).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The .torrent of {@code image} announcing with {@code passkey}, built by hand as the tracker builds it. */
    private Path torrent(UUID image, String passkey) throws Exception {
        HttpResponse<byte[]> info = http.send(HttpRequest.newBuilder(URI.create(fleet.seedUrl() + "/api/v1/images/"
                + image + "/torrent-info")).header("Authorization", "Bearer " + fleet.auth().token("viewer")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(info.statusCode()).isEqualTo(200);
        Path t = Files.createTempFile(work, "image-", ".torrent");
        Files.write(t, TorrentMetainfo.torrent(fleet.trackerUrl() + "/announce/" + passkey, info.body()));
        return t;
    }

    /** Runs aria2c on a .torrent into a fresh directory; gives up after 15 s without download progress. */
    private Path aria2c(String name, Path torrent) throws Exception {
        Path dir = Files.createDirectories(work.resolve("aria2c-" + name));
        List<String> command = new ArrayList<>(List.of("aria2c", "--enable-dht=false", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0", "--bt-stop-timeout=15",
                "--bt-tracker-connect-timeout=10", "--bt-tracker-timeout=10", "--follow-torrent=mem",
                "--summary-interval=0", "--console-log-level=warn", "--dir=" + dir, torrent.toString()));
        Tools.Result r = Tools.run(Duration.ofMinutes(2), command.toArray(String[]::new));
        System.out.println("aria2c " + name + " exited " + r.exit() + ":\n" + r.output());
        return dir;
    }

    private int put(String url, String json, String token) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }
}
