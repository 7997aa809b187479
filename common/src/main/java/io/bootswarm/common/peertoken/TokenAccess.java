package io.bootswarm.common.peertoken;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerAccess;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The {@link PeerAccess} of seeds and agents: a peer is served when its token is valid
 * ({@link PeerTokenVerifier}); without one (a stock BitTorrent client, which never sends
 * {@value PeerAccess#TOKEN_KEY}), or with a bad one, only for a swarm that {@code openToAll} names
 * (the seed's images an admin opened to stock clients). Every refusal is counted in
 * {@value #REFUSED} tagged with the reason ({@link PeerTokenVerifier.Verdict#tag()}).
 */
public final class TokenAccess implements PeerAccess {

    /** The counter of refused peers. */
    public static final String REFUSED = "bootswarm.peer.refused";

    private final PeerTokenVerifier verifier;
    private final Predicate<SwarmId> openToAll;
    private final Map<PeerTokenVerifier.Verdict, Counter> refused = new EnumMap<>(PeerTokenVerifier.Verdict.class);

    public TokenAccess(PeerTokenVerifier verifier, Predicate<SwarmId> openToAll, MeterRegistry meters) {
        this.verifier = verifier;
        this.openToAll = openToAll;
        for (PeerTokenVerifier.Verdict v : PeerTokenVerifier.Verdict.values()) {
            if (v != PeerTokenVerifier.Verdict.VALID) {
                refused.put(v, Counter.builder(REFUSED).tag("reason", v.tag())
                        .description("peer wire connections refused: no valid access token").register(meters));
            }
        }
    }

    /** Tokens only: no swarm is open to peers without one. */
    public TokenAccess(PeerTokenVerifier verifier, MeterRegistry meters) {
        this(verifier, swarm -> false, meters);
    }

    @Override
    public Admission admit(SwarmId swarm, byte[] peerId, byte @Nullable [] token) {
        PeerTokenVerifier.Verdict v = verifier.verify(token, swarm, peerId);
        if (v == PeerTokenVerifier.Verdict.VALID) {
            return Admission.ADMITTED;
        }
        if (openToAll.test(swarm)) {
            return new Admission(true, "open-to-stock-clients");
        }
        Objects.requireNonNull(refused.get(v), "a counter per verdict").increment();
        return Admission.refused(v == PeerTokenVerifier.Verdict.MISSING ? "no access token" : "access token " + v.tag());
    }
}
