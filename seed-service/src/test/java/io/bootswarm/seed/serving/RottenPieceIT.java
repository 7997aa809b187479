package io.bootswarm.seed.serving;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.WireLimits;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.PeerClient;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.TestImages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One byte of a stored image rots on the seed's disk: a real peer wire client gets the healthy pieces
 * byte for byte and not a byte of the rotten one; the seed stops offering it (the bitfield of the next
 * connection leaves it out) and reports it in the image's {@code rottenPieces} and in
 * {@code bootswarm.seed.pieces.rotten}.
 */
class RottenPieceIT extends SeedApiItBase {

    private static final int PIECE = 256 * 1024;
    private static final int PIECES = 6;
    private static final int ROTTEN = 3;

    @Autowired
    private PeerWireServer server;
    @Autowired
    private MeterRegistry meters;

    @Test
    void aRottenPieceIsNeverServedAndIsReported(@TempDir Path tmp) throws Exception {
        Path upload = TestImages.write(tmp.resolve("rot.raw"), (long) PIECES * PIECE, 41);
        byte[] bytes = Files.readAllBytes(upload);
        String name = "it-rot-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode image = json(api.upload(name, upload));
        UUID id = UUID.fromString(image.get("id").asString());
        SwarmId swarm = SwarmId.parse(image.get("swarmId").asString());
        assertThat(image.get("rottenPieces").asInt()).isZero();

        Path stored = STORAGE.resolve(jdbc.queryForObject("select file_path from image where id = ?", String.class, id));
        long rotAt = (long) ROTTEN * PIECE + 20_000;   // in the second block of the piece
        try (FileChannel ch = FileChannel.open(stored, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{(byte) (bytes[(int) rotAt] ^ 0x10)}), rotAt);
        }

        List<PeerMessage.Piece> rottenBlocks = new ArrayList<>();
        try (PeerClient peer = PeerClient.connect(server.port())) {
            peer.handshake(swarm, PIECES);
            PeerMessage first = peer.read();
            assertThat(first).isInstanceOf(PeerMessage.Bitfield.class);
            peer.send(PeerMessage.INTERESTED);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(peer.fetchPiece(1, PIECE)).isEqualTo(Arrays.copyOfRange(bytes, PIECE, 2 * PIECE));

            for (int begin = 0; begin < PIECE; begin += WireLimits.BLOCK_LENGTH) {
                peer.send(new PeerMessage.Request(ROTTEN, begin, WireLimits.BLOCK_LENGTH));
            }
            // read until the seed closes the connection (or, if it serves the rotten piece, until all of it came)
            IOException end = null;
            while (end == null && rottenBlocks.size() < PIECE / WireLimits.BLOCK_LENGTH) {
                try {
                    if (peer.read() instanceof PeerMessage.Piece p) {
                        rottenBlocks.add(p);
                    }
                } catch (EOFException | SocketException closed) {
                    end = closed;
                }
            }
        }
        assertThat(rottenBlocks).as("blocks of the rotten piece sent").isEmpty();

        try (PeerClient peer = PeerClient.connect(server.port())) {
            peer.handshake(swarm, PIECES);
            PeerMessage first = peer.read();
            assertThat(first).isInstanceOf(PeerMessage.Bitfield.class);
            PieceSet offered = PieceSet.fromBitfield(((PeerMessage.Bitfield) first).bits(), PIECES);
            assertThat(offered.contains(ROTTEN)).isFalse();
            assertThat(offered.cardinality()).isEqualTo(PIECES - 1);
            peer.send(PeerMessage.INTERESTED);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(peer.fetchPiece(5, PIECE)).isEqualTo(Arrays.copyOfRange(bytes, 5 * PIECE, 6 * PIECE));
        }

        assertThat(json(api.get("/api/v1/images/" + id)).get("rottenPieces").asInt()).isEqualTo(1);
        Counter rotten = meters.find(StoreIntegrity.ROTTEN).tag("image", name).counter();
        assertThat(rotten).isNotNull();
        assertThat(rotten.count()).isEqualTo(1.0);
        assertThat(api.get("/actuator/prometheus").body())
                .containsPattern("bootswarm_seed_pieces_rotten_total\\{[^}]*image=\"" + name + "\"[^}]*} 1(\\.0)?\\n");
    }
}
