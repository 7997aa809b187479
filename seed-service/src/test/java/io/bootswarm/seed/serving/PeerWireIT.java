package io.bootswarm.seed.serving;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.PeerClient;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.TestImages;
import io.bootswarm.seed.TestPeerTokens;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's peer wire server against a real client: handshake, bitfield, unchoke, every block of
 * several pieces byte for byte; every kind of malformed input closes the connection, is counted,
 * and leaves the seed serving.
 */
class PeerWireIT extends SeedApiItBase {

    private static final int PIECE = 256 * 1024;
    private static final int PIECES = 10;
    private static final long SIZE = 9L * PIECE + 5000;   // the last piece is short

    @Autowired
    private PeerWireServer server;
    @Autowired
    private MeterRegistry meters;

    private static Path imageFile;
    private static byte[] imageBytes;
    private static String imageName;
    private static UUID imageId;
    private static SwarmId swarm;

    @BeforeEach
    void anImageIsServed(@TempDir Path tmp) throws IOException {
        if (imageId != null) {
            return;
        }
        imageFile = TestImages.write(tmp.resolve("wire.raw"), SIZE, 99, new TestImages.Zeros(3L * PIECE, 4L * PIECE));
        imageBytes = Files.readAllBytes(imageFile);
        imageName = "it-wire-" + UUID.randomUUID().toString().substring(0, 8);
        var created = api.upload(imageName, imageFile);
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode image = json(created);
        imageId = UUID.fromString(image.get("id").asString());
        swarm = SwarmId.parse(image.get("swarmId").asString());
        assertThat(image.get("pieceCount").asInt()).isEqualTo(PIECES);
    }

    @Test
    void servesEveryBlockOfSeveralPiecesByteForByte() throws Exception {
        long uploadedBefore = uploadedBytes();
        long blocksBefore = server.blocksServed();
        long bytes = 0;
        try (PeerClient peer = PeerClient.connect(server.port())) {
            Handshake theirs = peer.handshake(swarm, PIECES);
            assertThat(theirs.swarmId()).isEqualTo(swarm);
            assertThat(new String(theirs.peerId(), 0, 8, StandardCharsets.US_ASCII)).isEqualTo("-BS0100-");

            PeerMessage first = peer.read();
            assertThat(first).isInstanceOf(PeerMessage.Bitfield.class);
            PieceSet have = PieceSet.fromBitfield(((PeerMessage.Bitfield) first).bits(), PIECES);
            assertThat(have.isComplete()).isTrue();

            peer.send(PeerMessage.INTERESTED);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);

            for (int piece : new int[]{0, 3, 5, 9}) {
                int length = (int) Math.min(PIECE, SIZE - (long) piece * PIECE);
                byte[] got = peer.fetchPiece(piece, length);
                assertThat(got).as("piece %d", piece)
                        .isEqualTo(Arrays.copyOfRange(imageBytes, piece * PIECE, piece * PIECE + length));
                bytes += length;
            }
        }
        assertThat(bytes).isEqualTo(3L * PIECE + 5000);
        assertThat(server.blocksServed() - blocksBefore).isEqualTo(3 * 16 + 1);
        assertThat(uploadedBytes() - uploadedBefore).isEqualTo(bytes);
        FunctionCounter counter = meters.find("bootswarm.seed.uploaded.bytes").tag("image", imageName).functionCounter();
        assertThat(counter).isNotNull();
        assertThat((long) counter.count()).isEqualTo(uploadedBytes());
        String prometheus = api.get("/actuator/prometheus").body();
        assertThat(prometheus).containsPattern("bootswarm_seed_uploaded_bytes_total\\{[^}]*image=\"" + imageName
                + "\"[^}]*} " + uploadedBytes() + "(\\.0)?\\n");
        assertThat(prometheus).contains("bootswarm_seed_peer_connections");
        assertThat(prometheus).contains("bootswarm_seed_peer_protocol_errors_total");
    }

    /** A way of breaking the protocol: what is sent, and whether a handshake comes first. */
    record Bad(String name, boolean afterHandshake, WireAction action) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface WireAction {
        void apply(PeerClient peer) throws IOException;
    }

    static List<Bad> badInput() {
        return List.of(
                new Bad("wrong protocol string", false, p -> p.sendRaw(rawHandshake("BitTorrent protocoL", swarm))),
                new Bad("wrong protocol length", false, p -> {
                    byte[] h = rawHandshake("BitTorrent protocol", swarm);
                    h[0] = 18;
                    p.sendRaw(h);
                }),
                new Bad("unknown swarm id", false, p -> p.sendRaw(rawHandshake("BitTorrent protocol",
                        SwarmId.of(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})))),
                new Bad("length prefix 0x7fffffff", true, p -> p.sendRaw(new byte[]{0x7f, -1, -1, -1, 6})),
                new Bad("negative length prefix", true, p -> p.sendRaw(new byte[]{-1, -1, -1, -1})),
                new Bad("request past the end of a piece", true, p -> unchokedThen(p,
                        new PeerMessage.Request(0, PIECE - 16384 + 1, 16384))),
                new Bad("request past the end of the short last piece", true, p -> unchokedThen(p,
                        new PeerMessage.Request(9, 0, 16384))),
                new Bad("request with a negative offset", true, p -> unchokedThen(p,
                        new PeerMessage.Request(1, -16384, 16384))),
                new Bad("request for a piece index out of range", true, p -> unchokedThen(p,
                        new PeerMessage.Request(PIECES, 0, 16384))),
                new Bad("request for a block larger than 16 KiB", true, p -> unchokedThen(p,
                        new PeerMessage.Request(0, 0, 16385))),
                new Bad("request for an empty block", true, p -> unchokedThen(p, new PeerMessage.Request(0, 0, 0))),
                new Bad("bitfield of the wrong length", true, p -> p.sendRaw(message(5, new byte[3]))),
                new Bad("bitfield with a spare bit set", true, p -> p.sendRaw(message(5, new byte[]{-1, -1}))),
                new Bad("have with a short payload", true, p -> p.sendRaw(message(4, new byte[]{0, 0, 1}))),
                new Bad("piece nobody asked for", true, p -> p.send(new PeerMessage.Piece(0, 0, new byte[16]))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badWireInputClosesTheConnectionAndChangesNothing(Bad bad) throws Exception {
        long errorsBefore = server.protocolErrors();
        long uploadedBefore = uploadedBytes();
        CatalogState catalogBefore = catalogState();
        try (PeerClient peer = PeerClient.connect(server.port())) {
            if (bad.afterHandshake()) {
                peer.handshake(swarm, PIECES);
                assertThat(peer.read()).isInstanceOf(PeerMessage.Bitfield.class);
            }
            bad.action().apply(peer);
            assertThat(peer.closedByPeer(Duration.ofSeconds(10))).as("connection closed after " + bad).isTrue();
        }
        assertThat(server.protocolErrors()).isEqualTo(errorsBefore + 1);
        assertThat(uploadedBytes()).isEqualTo(uploadedBefore);
        assertThat(catalogState()).isEqualTo(catalogBefore);

        // ... and the seed still serves a good client.
        try (PeerClient good = PeerClient.connect(server.port())) {
            good.handshake(swarm, PIECES);
            assertThat(good.read()).isInstanceOf(PeerMessage.Bitfield.class);
            good.send(PeerMessage.INTERESTED);
            assertThat(good.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(good.fetchPiece(5, PIECE)).isEqualTo(Arrays.copyOfRange(imageBytes, 5 * PIECE, 6 * PIECE));
        }
        assertThat(server.protocolErrors()).isEqualTo(errorsBefore + 1);
    }

    /** A token that must not open the swarm, and the reason it is refused for. */
    record BadToken(String name, String reason, java.util.function.Function<SwarmId, byte[]> token) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<BadToken> badTokens() {
        byte[] other = "-TEST01-someoneelse1".getBytes();
        return List.of(
                new BadToken("no token", "missing", s -> null),
                new BadToken("expired token", "expired", s -> TestPeerTokens.issuer()
                        .issue(s, PeerClient.PEER_ID, java.time.Instant.now().minusSeconds(1)).encode()),
                new BadToken("token for another swarm", "wrong-swarm",
                        s -> TestPeerTokens.token(SwarmId.parse("1234567890123456789012345678901234567890"),
                                PeerClient.PEER_ID)),
                new BadToken("token for another peer id", "wrong-peer", s -> TestPeerTokens.token(s, other)),
                new BadToken("token with a bad signature", "bad-signature", s -> {
                    byte[] t = TestPeerTokens.token(s, PeerClient.PEER_ID);
                    t[t.length - 1] ^= 1;
                    return t;
                }),
                new BadToken("token of a key the seed does not trust", "unknown-key", s ->
                        new io.bootswarm.common.peertoken.PeerTokenIssuer(
                                io.bootswarm.common.manifest.ManifestSignature.generateKeyPair().getPrivate(),
                                java.time.Clock.systemUTC(), Duration.ofMinutes(5)).issue(s, PeerClient.PEER_ID)
                                .encode()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokens")
    void aPeerWithoutAValidTokenGetsNothing(BadToken bad) throws Exception {
        long refusedBefore = server.refusedPeers();
        long blocksBefore = server.blocksServed();
        long uploadedBefore = uploadedBytes();
        double reasonBefore = refused(bad.reason());
        try (PeerClient peer = PeerClient.connect(server.port())) {
            peer.handshake(swarm, PIECES, bad.token().apply(swarm));
            try {
                peer.send(PeerMessage.INTERESTED);
                peer.send(new PeerMessage.Request(0, 0, 16384));
            } catch (java.net.SocketException closedAlready) {
                // the seed may have closed the connection before these arrive: its refusal is what counts
            }
            assertThat(peer.closedByPeer(Duration.ofSeconds(10))).as("connection closed").isTrue();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.refusedPeers() == refusedBefore + 1);
        assertThat(refused(bad.reason())).isEqualTo(reasonBefore + 1);
        assertThat(server.blocksServed()).isEqualTo(blocksBefore);
        assertThat(uploadedBytes()).isEqualTo(uploadedBefore);
        assertThat(api.get("/actuator/prometheus").body()).contains("bootswarm_seed_peer_refused_total");
    }

    private double refused(String reason) {
        var c = meters.find(io.bootswarm.common.peertoken.TokenAccess.REFUSED).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void deletedImageIsNoLongerServed(@TempDir Path tmp) throws Exception {
        Path file = TestImages.write(tmp.resolve("doomed.raw"), 2L * PIECE, 5);
        byte[] bytes = Files.readAllBytes(file);
        var created = json(api.upload("it-doomed-" + UUID.randomUUID().toString().substring(0, 8), file));
        UUID id = UUID.fromString(created.get("id").asString());
        SwarmId doomed = SwarmId.parse(created.get("swarmId").asString());
        try (PeerClient reader = PeerClient.connect(server.port())) {
            reader.handshake(doomed, 2);
            assertThat(reader.read()).isInstanceOf(PeerMessage.Bitfield.class);
            reader.send(PeerMessage.INTERESTED);
            assertThat(reader.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(reader.fetchPiece(0, PIECE)).isEqualTo(Arrays.copyOf(bytes, PIECE));

            assertThat(api.delete("/api/v1/images/" + id).statusCode()).isEqualTo(204);

            // The connection that was reading it is closed at its next request...
            reader.send(new PeerMessage.Request(1, 0, 16384));
            assertThat(reader.closedByPeer(Duration.ofSeconds(10))).isTrue();
        }
        // ... and new peers of that swarm are refused.
        long errorsBefore = server.protocolErrors();
        try (PeerClient late = PeerClient.connect(server.port())) {
            late.sendRaw(rawHandshake("BitTorrent protocol", doomed));
            assertThat(late.closedByPeer(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(server.protocolErrors()).isEqualTo(errorsBefore + 1);
        assertThat(meters.find("bootswarm.seed.uploaded.bytes").tag("image", created.get("name").asString())
                .functionCounter()).isNull();
    }

    // ---------------------------------------------------------------------------------------------

    private long uploadedBytes() {
        return json(api.get("/api/v1/images/" + imageId)).get("uploadedBytes").asLong();
    }

    private static void unchokedThen(PeerClient peer, PeerMessage m) throws IOException {
        peer.send(PeerMessage.INTERESTED);
        assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);
        peer.send(m);
    }

    private static byte[] rawHandshake(String protocol, SwarmId swarmId) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(protocol.length());
        b.writeBytes(protocol.getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[8]);
        b.writeBytes(swarmId.toBytes());
        b.writeBytes("-TEST01-abcdefghijkl".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static byte[] message(int id, byte[] payload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(1 + payload.length);
        d.writeByte(id);
        d.write(payload);
        return b.toByteArray();
    }
}
