package io.bootswarm.tracker.stock;

import io.bootswarm.common.manifest.TorrentMetainfo;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.security.Principal;
import java.util.UUID;

/**
 * An image's {@code .torrent} for a stock BitTorrent client, served by the tracker: the passkeys
 * are here (hashed: the caller sends its own, which is checked to be its), the announce URL is
 * the tracker's own, and the image data (the BEP 3 info dictionary, whose SHA-1 is the swarm id)
 * comes from seed-service, which the tracker asks already for whether the image is open.
 */
@RestController
@Tag(name = "Stock clients")
class TorrentController {

    /** The request header that carries the caller's passkey. */
    static final String PASSKEY_HEADER = "Bootswarm-Passkey";

    private final Passkeys passkeys;
    private final SeedStockClient seed;
    private final StockClientProperties properties;

    TorrentController(Passkeys passkeys, SeedStockClient seed, StockClientProperties properties) {
        this.passkeys = passkeys;
        this.seed = seed;
        this.properties = properties;
    }

    @GetMapping(path = "/api/v1/images/{id}/torrent", produces = TorrentMetainfo.MEDIA_TYPE)
    @Operation(summary = "Get an image's .torrent",
            description = "BEP 3 metainfo for a stock BitTorrent client: the info dictionary hashes to the image's "
                    + "swarm id, and `announce` is this tracker's /announce/<passkey> with the caller's passkey, "
                    + "sent in the Bootswarm-Passkey header (the tracker keeps only passkey hashes, so it cannot "
                    + "fill it in itself; POST /api/v1/passkeys issues one). Only for images opened to stock clients.")
    @ApiResponse(responseCode = "200", description = "The .torrent")
    @ApiResponse(responseCode = "400", description = "No passkey header")
    @ApiResponse(responseCode = "401", description = "No caller identity")
    @ApiResponse(responseCode = "403", description = "The passkey is not the caller's")
    @ApiResponse(responseCode = "404", description = "No such image")
    @ApiResponse(responseCode = "409", description = "The image is not open to stock clients")
    @ApiResponse(responseCode = "503", description = "seed-service cannot answer")
    ResponseEntity<byte[]> torrent(@PathVariable UUID id,
                                   @Parameter(in = ParameterIn.HEADER, name = PASSKEY_HEADER,
                                           description = "The caller's passkey")
                                   @RequestHeader(name = PASSKEY_HEADER, required = false) String passkey,
                                   Principal caller, HttpServletRequest request) {
        String owner = PasskeysController.owner(caller);
        if (passkey == null || passkey.isBlank()) {
            throw ProblemException.badRequest("passkey-required", "send your passkey in the " + PASSKEY_HEADER
                    + " header (POST /api/v1/passkeys issues one)");
        }
        if (!passkeys.owner(passkey.strip()).map(owner::equals).orElse(false)) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "passkey-not-yours", "Forbidden",
                    "the passkey is not a current passkey of " + owner);
        }
        byte[] info;
        try {
            SeedStockClient.StockState state = seed.byImage(id).orElseThrow(() -> imageNotFound(id));
            if (!state.open()) {
                throw new ProblemException(HttpStatus.CONFLICT, "image-not-open", "Conflict",
                        "image " + id + " is not open to stock BitTorrent clients (an admin opens it with PUT "
                                + "/api/v1/images/{id}/stock-clients on seed-service)").with("imageId", id);
            }
            info = seed.torrentInfo(id).orElseThrow(() -> imageNotFound(id));
        } catch (RemoteCallException e) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "seed-unavailable", "Service unavailable",
                    "seed-service cannot answer: " + e.getMessage());
        }
        byte[] torrent = TorrentMetainfo.torrent(announceUrl(properties, request, passkey.strip()), info);
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(TorrentMetainfo.MEDIA_TYPE))
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment().filename(id + ".torrent").build().toString())
                .body(torrent);
    }

    private static ProblemException imageNotFound(UUID id) {
        return ProblemException.notFound("image-not-found", "there is no image " + id).with("imageId", id);
    }

    /** This tracker's announce URL for {@code passkey}: {@code <public-url or request base>/announce/<passkey>}. */
    static String announceUrl(StockClientProperties properties, HttpServletRequest request, String passkey) {
        String base = !properties.publicUrl().isEmpty() ? properties.publicUrl()
                : ServletUriComponentsBuilder.fromContextPath(request).replaceQuery(null).build().toUriString();
        return base + "/announce/" + passkey;
    }
}
