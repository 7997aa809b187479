package io.bootswarm.bench.sim;

import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.trace.SyntheticTrace;
import io.bootswarm.bench.trace.Trace;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The mechanisms for partial views ({@link SimConfig.Views}): counts of what each host knows, owns and gets. */
class PartialViewsTest {

    private static final int S = 256 * 1024;

    private static Workload synthetic() {
        Trace t = SyntheticTrace.small(256L << 20, S, 20, 3).run(0);
        return Workload.of(t, S);
    }

    /** 256 hosts, each connected to 8 and named 20 by the tracker: a partial view. */
    private static SimConfig partial() {
        return new SimConfig(Mode.P2P_P, 256, SimConfig.MBPS_100, SimConfig.MBPS_100, 0.5e-3, 32, 4, 2, 8, 8, false, 0,
                7, true, false, 20, 0, 16, SimConfig.Views.NONE);
    }

    private static int min(int[] perHost) {
        return Arrays.stream(perHost, 1, perHost.length).min().orElseThrow();
    }

    private static int max(int[] perHost) {
        return Arrays.stream(perHost, 1, perHost.length).max().orElseThrow();
    }

    @Test
    void peerExchangeSpreadsPeersRoundByRound() {
        Workload w = synthetic();
        int[] none = SwarmSim.knownPeers(w, partial());
        int[] one = SwarmSim.knownPeers(w, partial().withViews(SimConfig.Views.parse("pex=1")));
        int[] two = SwarmSim.knownPeers(w, partial().withViews(SimConfig.Views.parse("pex=2")));
        // without PEX a host knows its tracker answer and the hosts connecting to it: a few dozen of 255
        assertThat(max(none)).isLessThan(60);
        // one round: each of its ~16 connections names its own ~16 connections
        assertThat(min(one)).isGreaterThanOrEqualTo(100);
        assertThat(min(two)).isGreaterThanOrEqualTo(min(one));
        assertThat(max(two)).isLessThanOrEqualTo(255);
    }

    @Test
    void aCoreInEveryViewGivesEveryPieceExactlyOneOwner() {
        Workload w = synthetic();
        int[] random = SwarmSim.owners(w, partial());
        int[] core = SwarmSim.owners(w, partial().withViews(SimConfig.Views.parse("core=16")));
        // random views of 20 of 255: a piece is owned by every host that sees no better-scoring host, several per piece
        assertThat(Arrays.stream(random).max().orElseThrow()).isGreaterThan(3);
        assertThat(core).containsOnly(1);
        // every host knows the core: it is in every tracker answer
        int[] known = SwarmSim.knownPeers(w, partial().withViews(SimConfig.Views.parse("core=16")));
        assertThat(min(known)).isGreaterThanOrEqualTo(16 - 1);
    }

    @Test
    void seedRedirectsSendEachPieceFromTheSeedOnceInALockstepStorm() {
        Workload w = synthetic();
        SimConfig demand = partial().withMode(Mode.P2P_D).withPeers(64);
        SimResult off = SwarmSim.run(w, demand);
        SimResult on = SwarmSim.run(w, demand.withViews(SimConfig.Views.parse("redirect=4")));
        // lockstep: every VM misses every piece at once and, off, each asks the seed
        assertThat(off.piecesFromSeed()).isGreaterThan(32L * w.piecesRead());
        // on: the first to ask gets it from the seed, the others down a tree of fanout 4 from it
        assertThat(on.piecesFromSeed()).isEqualTo(w.piecesRead());
        assertThat(on.pieces()).isEqualTo(64L * w.piecesRead());
        assertThat(on.mean()).isLessThan(off.mean());
    }

    @Test
    void withEveryMechanismOnBytesAreConservedAndLinksHold() {
        Workload w = synthetic();
        SimConfig c = partial().withPeers(48).withFill(true).withStartSpread(0.5)
                .withViews(SimConfig.Views.parse("core=8+pex+redirect"));
        SimResult r = SwarmSim.runAudited(w, c);
        assertThat(r.seedBytes() + r.agentBytes()).isCloseTo(r.downloadedBytes(), org.assertj.core.api.Assertions.within(1e-3));
        assertThat(r.pieces()).isEqualTo(48L * w.pieceCount());
        assertThat(r.maxUpRatio()).isLessThanOrEqualTo(1 + 1e-9);
        assertThat(r.maxDownRatio()).isLessThanOrEqualTo(1 + 1e-9);
    }
}
