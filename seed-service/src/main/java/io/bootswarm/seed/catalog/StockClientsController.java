package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.TorrentMetainfo;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.util.UUID;

/**
 * Opening images to stock BitTorrent clients. The seed serves a peer without a valid peer access
 * token only for an image opened here; tracker-service hands such peers out only against a passkey
 * and builds their {@code .torrent} from {@code torrent-info}.
 */
@RestController
@Tag(name = "stock clients", description = "Images opened to stock BitTorrent clients (aria2, libtorrent, "
        + "Transmission), which cannot present a bootswarm peer access token.")
class StockClientsController {

    /** Body of the PUT. */
    @Schema(name = "StockClientsRequest")
    record OpenRequest(@Schema(description = "true to open the image to stock clients, false to close it",
            requiredMode = Schema.RequiredMode.REQUIRED) Boolean open) {
    }

    private final Catalog catalog;

    StockClientsController(Catalog catalog) {
        this.catalog = catalog;
    }

    @PutMapping(path = "/api/v1/images/{id}/stock-clients", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Open or close an image to stock BitTorrent clients",
            description = "Default closed. While open, the seed serves the image's swarm to peers that present no "
                    + "peer access token (stock clients never do); the tracker still gives them peers only through "
                    + "a passkey. Closing drops the swarm's connections (our agents reconnect with their tokens).",
            responses = {
                    @ApiResponse(responseCode = "200", description = "The new state."),
                    @ApiResponse(responseCode = "400", description = "No `open` in the body.", content = @Content(
                            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                            schema = @Schema(implementation = ProblemDetail.class))),
                    @ApiResponse(responseCode = "404", description = "No such image.", content = @Content(
                            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                            schema = @Schema(implementation = ProblemDetail.class)))})
    StockClients set(@PathVariable UUID id, @RequestBody OpenRequest body) {
        if (body == null || body.open() == null) {
            throw ProblemException.badRequest("bad-stock-clients", "the body must be {\"open\": true|false}");
        }
        return catalog.setStockClients(id, body.open());
    }

    @GetMapping(path = "/api/v1/images/{id}/stock-clients", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Whether an image is open to stock BitTorrent clients")
    StockClients get(@PathVariable UUID id) {
        return catalog.stockClients(id);
    }

    @GetMapping(path = "/api/v1/swarms/{swarmId}/stock-clients", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Whether a swarm's image is open to stock BitTorrent clients",
            description = "What the tracker asks before it answers a passkey announce for the swarm.",
            responses = {
                    @ApiResponse(responseCode = "200", description = "The image of the swarm and its state."),
                    @ApiResponse(responseCode = "404", description = "No image has this swarm id.", content = @Content(
                            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                            schema = @Schema(implementation = ProblemDetail.class)))})
    StockClients bySwarm(@PathVariable String swarmId) {
        return catalog.stockClients(SharingController.parseSwarmId(swarmId)).orElseThrow(() ->
                ProblemException.notFound("swarm-not-found", "no image has swarm id " + swarmId)
                        .with("swarmId", swarmId));
    }

    @GetMapping(path = "/api/v1/images/{id}/torrent-info", produces = TorrentMetainfo.MEDIA_TYPE)
    @Operation(summary = "An image's BEP 3 info dictionary",
            description = "The bencoded info dictionary (length, name, piece length, pieces as SHA-1) whose SHA-1 is "
                    + "the image's swarm id: the tracker wraps it into a .torrent with the caller's passkey.")
    ResponseEntity<byte[]> torrentInfo(@PathVariable UUID id) {
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(TorrentMetainfo.MEDIA_TYPE))
                .body(catalog.torrentInfo(id));
    }
}
