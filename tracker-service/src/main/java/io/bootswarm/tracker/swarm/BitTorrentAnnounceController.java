package io.bootswarm.tracker.swarm;

import io.bootswarm.tracker.net.AddressPolicy;
import io.bootswarm.tracker.stock.StockAccess;
import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.HexFormat;
import java.util.Optional;

/**
 * The BitTorrent HTTP announce (BEP 3, compact peers per BEP 23), so that stock BitTorrent clients
 * join the same swarms as bootswarm agents. As on private trackers, a client announces with its
 * passkey ({@code /announce/<passkey>}, or {@code ?passkey=}), and only for a swarm whose image an
 * admin opened to stock clients ({@link StockAccess}). Errors are answered as a bencoded
 * {@code failure reason} with status 200, which is what clients read.
 */
@RestController
@Tag(name = "Announce")
class BitTorrentAnnounceController {

    private static final Logger log = LoggerFactory.getLogger(BitTorrentAnnounceController.class);
    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile(Patterns.HOST);

    private final SwarmRegistry swarms;
    private final PeerAddresses addresses;
    private final AddressPolicy policy;
    private final StockAccess access;

    BitTorrentAnnounceController(SwarmRegistry swarms, PeerAddresses addresses, AddressPolicy policy,
                                 StockAccess access) {
        this.swarms = swarms;
        this.addresses = addresses;
        this.policy = policy;
        this.access = access;
    }

    @GetMapping(value = {"/announce", "/announce/{passkey}"}, produces = MediaType.TEXT_PLAIN_VALUE)
    @Operation(summary = "BitTorrent HTTP announce",
            description = "BEP 3 announce with binary, percent-encoded info_hash and peer_id; parameters port, "
                    + "uploaded, downloaded, left, event, compact (default 1), no_peer_id, numwant, ip. The peer's "
                    + "address is the connection's remote address; ip is honoured only from "
                    + "bootswarm.tracker.announce.trusted-networks (else ignored). Answers a bencoded "
                    + "dictionary: interval, complete, incomplete, peers (compact string of 6-byte IPv4 entries, or "
                    + "a list of dictionaries with compact=0), peers6 for IPv6 peers; or a failure reason. The "
                    + "announce needs a passkey (path /announce/<passkey>, or parameter passkey; POST "
                    + "/api/v1/passkeys) and a swarm whose image is open to stock clients; else a failure reason.",
            parameters = {
                    @Parameter(name = "info_hash", description = "20 raw bytes, percent-encoded", required = true),
                    @Parameter(name = "peer_id", description = "20 raw bytes, percent-encoded", required = true),
                    @Parameter(name = "port", required = true),
                    @Parameter(name = "left", required = true),
                    @Parameter(name = "uploaded"), @Parameter(name = "downloaded"),
                    @Parameter(name = "event", description = "started, completed, stopped or empty"),
                    @Parameter(name = "compact", description = "1 (default) or 0"),
                    @Parameter(name = "numwant"), @Parameter(name = "ip"), @Parameter(name = "no_peer_id"),
                    @Parameter(name = "passkey", description = "the caller's passkey, when not in the path")})
    @ApiResponse(responseCode = "200", description = "bencoded answer or failure reason",
            content = @Content(mediaType = "text/plain"))
    ResponseEntity<byte[]> announce(@PathVariable(required = false) String passkey, HttpServletRequest request) {
        byte[] body;
        try {
            BitTorrentAnnounce.Request r = BitTorrentAnnounce.parse(request.getQueryString());
            Optional<String> refusal = access.refusal(passkey != null ? passkey : r.passkey(), r.swarm());
            if (refusal.isPresent()) {
                throw new BitTorrentAnnounce.BadAnnounce(refusal.get());
            }
            String host = policy.peerHost(claimed(r.ip()), request.getRemoteAddr(),
                    AddressPolicy.Endpoint.BITTORRENT_ANNOUNCE);
            Announce a = new Announce(r.swarm(), HexFormat.of().formatHex(r.peerId()), host, r.port(), r.left(),
                    r.uploaded(), r.downloaded(), r.event(), r.numWant());
            body = BitTorrentAnnounce.encode(swarms.announce(a, "bittorrent"), r.compact(), r.noPeerId(),
                    addresses::resolve);
        } catch (BitTorrentAnnounce.BadAnnounce e) {
            log.debug("rejected BitTorrent announce from {}: {}", request.getRemoteAddr(), e.getMessage());
            body = BitTorrentAnnounce.failure(e.getMessage());
        }
        return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(body);
    }

    /** The {@code ip} parameter, checked: null when absent. */
    private static String claimed(String ip) {
        if (ip != null && !HOST.matcher(ip).matches()) {
            throw new BitTorrentAnnounce.BadAnnounce("ip must be an IP address or host name");
        }
        return ip;
    }
}
