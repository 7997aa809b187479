package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.seed.ManifestSigner;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Base64;
import java.util.List;
import java.util.UUID;

/** {@code /api/v1/images}: list, look up, fetch the manifest of, and delete images (upload is in imports). */
@RestController
@RequestMapping(path = "/api/v1/images", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "images", description = "The image catalog.")
class ImagesController {

    private final Catalog catalog;
    private final ManifestSigner signer;
    private final ImageDeletion deletion;

    ImagesController(Catalog catalog, ManifestSigner signer, ImageDeletion deletion) {
        this.catalog = catalog;
        this.signer = signer;
        this.deletion = deletion;
    }

    @GetMapping
    @Operation(summary = "List images", description = "Every image in the catalog, ordered by name; with `name` "
            + "or `swarmId`, only the image that has them (an empty list if there is none): an agent resolves the "
            + "swarm a cross-image peer names this way, then fetches its manifest.")
    List<ImageView> list(@Parameter(description = "Exact image name to look for.")
                         @RequestParam(required = false) String name,
                         @Parameter(description = "Swarm id (40 hex digits) to look for.")
                         @RequestParam(required = false) String swarmId) {
        return catalog.list(name, swarmId == null ? null : SharingController.parseSwarmId(swarmId));
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get an image", responses = {
            @ApiResponse(responseCode = "200", description = "The image."),
            @ApiResponse(responseCode = "400", description = "The id is not a UUID.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "404", description = "No such image.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))})
    ImageView get(@PathVariable UUID id) {
        return catalog.get(id);
    }

    @GetMapping("/{id}/manifest")
    @Operation(summary = "Get an image's manifest", description = "What an agent needs to fetch and verify the image: "
            + "`size`, `pieceSize`, `swarmId` (hex), `pieceHashes` (base64 of the SHA-256 of every piece, 32 bytes "
            + "each, concatenated in piece order) and `zeroPieces` (base64 of a BEP 3 bitfield of the all-zero pieces, "
            + "which are never transferred). Signed by the seed's manifest key (`GET /api/v1/manifest-keys`): the "
            + "signature is Ed25519 over the tag `bootswarm-manifest-v1` and the fields `imageId` (16 bytes), `name` "
            + "(UTF-8), `size` (8 bytes), `pieceSize` (4 bytes), `swarmId` (UTF-8), `pieceHashes` and `zeroPieces` "
            + "(decoded), each preceded by its length as 4 big-endian bytes.", responses = {
            @ApiResponse(responseCode = "200", description = "The manifest.", headers = {
                    @Header(name = ManifestSignature.KEY_HEADER, description = "Id of the key that signed the manifest.",
                            schema = @Schema(type = "string", example = "3f9a0c1d2b4e5f60")),
                    @Header(name = ManifestSignature.SIGNATURE_HEADER,
                            description = "Base64 of the Ed25519 signature of the manifest.",
                            schema = @Schema(type = "string"))}),
            @ApiResponse(responseCode = "404", description = "No such image.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))})
    ResponseEntity<ManifestDocument> manifest(@PathVariable UUID id) {
        ManifestDocument doc = catalog.manifest(id);
        return ResponseEntity.ok()
                .header(ManifestSignature.KEY_HEADER, signer.keyId())
                .header(ManifestSignature.SIGNATURE_HEADER, Base64.getEncoder().encodeToString(signer.sign(doc)))
                .body(doc);
    }

    @DeleteMapping("/{id}")
    @Operation(summary = "Delete an image", description = "Asks the tracker for the image's live launches first: "
            + "with any, the image is refused (409 `image-in-use`, the launches named in `launches`) unless "
            + "`force=true`, which has the tracker stop them (each host's agent is sent a STOP with reason "
            + "`image-deleted`, logs it and reports STOPPED with it as the host's detail) before the image goes. "
            + "A tracker that cannot be asked refuses the delete (503). Then removes the image from the catalog "
            + "(an `image-deleted` event follows on Kafka), deletes its file, and stops serving it: peers of its "
            + "swarm are refused from now on and connections reading it are closed at their next request.",
            responses = {
            @ApiResponse(responseCode = "204", description = "Deleted."),
            @ApiResponse(responseCode = "404", description = "No such image.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "409", description = "Live launches use the image (listed in `launches`, "
                    + "counted in `liveLaunches`); nothing was deleted.", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class))),
            @ApiResponse(responseCode = "503", description = "The tracker cannot be asked; nothing was deleted.",
                    content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                            schema = @Schema(implementation = ProblemDetail.class)))})
    ResponseEntity<Void> delete(@PathVariable UUID id,
                                @Parameter(description = "Stop the image's live launches and delete it anyway.")
                                @RequestParam(defaultValue = "false") boolean force) {
        deletion.delete(id, force);
        return ResponseEntity.noContent().build();
    }
}
