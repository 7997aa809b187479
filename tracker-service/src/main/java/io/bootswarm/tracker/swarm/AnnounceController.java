package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.security.Caller;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.tracker.net.AddressPolicy;
import io.bootswarm.tracker.peertoken.PeerTokens;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.util.HexFormat;
import java.util.Locale;

/** The JSON announce that node agents use. */
@RestController
@Tag(name = "Announce", description = "swarm membership: peers announce themselves and learn other peers")
class AnnounceController {

    private final SwarmRegistry swarms;
    private final AddressPolicy addresses;
    private final PeerIdOwners owners;
    private final PeerTokens tokens;

    AnnounceController(SwarmRegistry swarms, AddressPolicy addresses, PeerIdOwners owners, PeerTokens tokens) {
        this.swarms = swarms;
        this.addresses = addresses;
        this.owners = owners;
        this.tokens = tokens;
    }

    @PostMapping("/api/v1/announce")
    @Operation(summary = "Announce in a swarm",
            description = "Records the peer in the swarm (or removes it on 'stopped') and answers with every live "
                    + "registered seed plus up to numWant other live peers: first those of the swarm, then, in the "
                    + "room left, cross-image peers: live peers of the swarms of other images that share pieces "
                    + "with this one (most shared first; seed-service names them), marked `crossImage` with their "
                    + "own `swarmId`. Dial those with this swarm's id: they serve the pieces of this image they "
                    + "hold. A peer that does not announce again within twice the interval is dropped. Peers are "
                    + "handed out at the source address of their connection; the `host` a peer names is kept only "
                    + "when it calls from bootswarm.tracker.announce.trusted-networks. Except on 'stopped', the answer "
                    + "carries a peer access token (`peerToken`, base64url) for this swarm and peer id: send it in "
                    + "the BEP 10 extended handshake (`bootswarm_token`, the decoded bytes) to every peer dialled "
                    + "for this swarm; seeds and agents serve no one without a valid one. The token is valid "
                    + "bootswarm.tracker.peer-token.ttl; an announce brings the peer's last one again while more than "
                    + "half of that remains, else a fresh one.")
    @ApiResponse(responseCode = "200", description = "peers of the swarm")
    @ApiResponse(responseCode = "400", description = "bad swarm id, peer id, address or counters")
    AnnounceResponse announce(@Valid @RequestBody AnnounceRequest body, HttpServletRequest request,
                              Authentication caller) {
        owners.claim(body.peerId().toLowerCase(Locale.ROOT), Caller.of(caller).subject());
        String host = addresses.peerHost(body.host(), request.getRemoteAddr(), AddressPolicy.Endpoint.JSON_ANNOUNCE);
        Announce a = new Announce(SwarmId.parse(body.swarmId().toLowerCase(Locale.ROOT)),
                body.peerId().toLowerCase(Locale.ROOT), host, body.port(), body.left(),
                body.uploaded() == null ? 0 : body.uploaded(), body.downloaded() == null ? 0 : body.downloaded(),
                AnnounceEvent.parse(body.event()), body.numWant() == null ? -1 : body.numWant());
        AnnounceResult result = swarms.announce(a, "json", true);
        byte[] peerId = HexFormat.of().parseHex(a.peerId());
        PeerToken token;
        if (a.event() == AnnounceEvent.STOPPED) {
            tokens.forget(a.swarm(), peerId, a.host());
            token = null;
        } else {
            token = tokens.issue(a.swarm(), peerId, a.host());
        }
        return AnnounceResponse.of(result, token);
    }
}
