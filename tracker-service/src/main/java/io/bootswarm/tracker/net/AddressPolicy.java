package io.bootswarm.tracker.net;

import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.net.InetAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settles the address the tracker hands to peers for a caller: the source address of the caller's
 * connection, so that no one can make agents dial an address of their choosing (SSRF, tarpits).
 * Only a caller whose source address lies in {@code bootswarm.tracker.announce.trusted-networks}
 * (agents behind NAT or a proxy that must advertise a public address) keeps the address it claims.
 * An untrusted claim of another address is ignored, not refused (BitTorrent clients often send
 * one), and counted in {@code bootswarm.tracker.announce.address.overridden{endpoint}}.
 */
@Component
public class AddressPolicy {

    /** Where a peer's address is claimed; the {@code endpoint} tag of the counter. */
    public enum Endpoint {
        JSON_ANNOUNCE("json-announce"),
        BITTORRENT_ANNOUNCE("bittorrent-announce"),
        SEED_REGISTRATION("seed-registration");

        private final String tag;

        Endpoint(String tag) {
            this.tag = tag;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(AddressPolicy.class);

    private final List<Cidr> trusted;
    private final Map<Endpoint, Counter> overridden = new EnumMap<>(Endpoint.class);

    public AddressPolicy(TrackerProperties properties, MeterRegistry meters) {
        this.trusted = properties.announce().trustedNetworks();
        for (Endpoint e : Endpoint.values()) {
            overridden.put(e, Counter.builder("bootswarm.tracker.announce.address.overridden").tag("endpoint", e.tag)
                    .description("peer addresses claimed from outside the trusted networks and replaced by the "
                            + "connection's source address").register(meters));
        }
        if (!trusted.isEmpty()) {
            log.info("callers from {} may name their own peer address", trusted);
        }
    }

    /**
     * The address to store for a caller's peer.
     *
     * @param claimed    the address the caller names for itself, or null when it names none
     * @param remoteAddr the connection's source address ({@code HttpServletRequest.getRemoteAddr()})
     * @return {@code claimed} when the source is in a trusted network, else the source address in
     * canonical form ({@link Addresses#text})
     */
    public String peerHost(String claimed, String remoteAddr, Endpoint endpoint) {
        Optional<InetAddress> source = Addresses.literal(remoteAddr);
        String sourceText = source.map(Addresses::text).orElse(remoteAddr);
        if (claimed == null) {
            return sourceText;
        }
        if (source.isPresent() && trusted.stream().anyMatch(n -> n.contains(source.get()))) {
            return claimed;
        }
        if (source.isEmpty() || !Addresses.literal(claimed).equals(source)) {
            overridden.get(endpoint).increment();
            log.debug("{} from {} claimed peer address '{}'; using the source address", endpoint.tag, sourceText,
                    claimed);
        }
        return sourceText;
    }
}
