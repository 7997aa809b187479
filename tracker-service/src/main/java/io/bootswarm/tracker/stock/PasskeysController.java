package io.bootswarm.tracker.stock;

import io.bootswarm.common.web.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import java.security.Principal;

/** The caller's passkey for stock BitTorrent clients. */
@RestController
@Tag(name = "Stock clients", description = "Stock BitTorrent clients: passkeys and .torrent files")
class PasskeysController {

    /**
     * A freshly issued passkey.
     *
     * @param owner       the caller it belongs to
     * @param passkey     32 hex digits; shown this once (only its hash is kept)
     * @param announceUrl the announce URL with the passkey, for a client's tracker setting
     */
    @Schema(name = "Passkey")
    record PasskeyView(String owner, String passkey, String announceUrl) {
    }

    private final Passkeys passkeys;
    private final StockClientProperties properties;

    PasskeysController(Passkeys passkeys, StockClientProperties properties) {
        this.passkeys = passkeys;
        this.properties = properties;
    }

    @PostMapping(path = "/api/v1/passkeys", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Issue my passkey",
            description = "A new passkey for the caller, replacing (revoking) the one it had. Stock BitTorrent "
                    + "clients announce to /announce/<passkey>; the tracker answers them only for images opened to "
                    + "stock clients. The passkey is shown only in this answer: the tracker keeps its SHA-256.")
    @ApiResponse(responseCode = "201", description = "The new passkey")
    @ApiResponse(responseCode = "401", description = "No caller identity")
    ResponseEntity<PasskeyView> issue(Principal caller, HttpServletRequest request) {
        String owner = owner(caller);
        String passkey = passkeys.issue(owner);
        return ResponseEntity.status(HttpStatus.CREATED)
                .body(new PasskeyView(owner, passkey, TorrentController.announceUrl(properties, request, passkey)));
    }

    @DeleteMapping("/api/v1/passkeys")
    @Operation(summary = "Revoke my passkey", description = "Announces with it are refused from now on.")
    @ApiResponse(responseCode = "204", description = "Revoked")
    @ApiResponse(responseCode = "401", description = "No caller identity")
    @ApiResponse(responseCode = "404", description = "The caller has no passkey")
    ResponseEntity<Void> revoke(Principal caller) {
        String owner = owner(caller);
        if (!passkeys.revoke(owner)) {
            throw ProblemException.notFound("passkey-not-found", owner + " has no passkey");
        }
        return ResponseEntity.noContent().build();
    }

    /** The caller's name. @throws ProblemException 401 when the request is not authenticated */
    static String owner(Principal caller) {
        if (caller == null || caller.getName() == null || caller.getName().isBlank()) {
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "unauthenticated", "Unauthenticated",
                    "this endpoint needs the caller's identity (a bearer token)");
        }
        return caller.getName();
    }
}
