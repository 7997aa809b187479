package io.bootswarm.allocation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class AllocationProblemTest {

    @Test
    void aggregatesPeerReportsIntoRemainingBytesPeerUploadAndPopularity() {
        // peer a: u = 100, gives 0.25 to x (misses 40 there) and 0.75 to y (has all of y)
        // peer b: u = 60, gives 0.5 to x (misses 10) and nothing to z (misses 500)
        AllocationProblem p = AllocationProblem.builder(1000)
                .addPeer(new PeerReport("a", 100, List.of(
                        new PeerReport.SwarmShare("x", 0.25, 40),
                        new PeerReport.SwarmShare("y", 0.75, 0))))
                .addPeer(new PeerReport("b", 60, List.of(
                        new PeerReport.SwarmShare("x", 0.5, 10),
                        new PeerReport.SwarmShare("z", 0, 500))))
                .build();
        assertThat(p.swarmIds()).containsExactly("x", "y", "z");
        assertThat(p.remainingBytes(0)).isEqualTo(50);
        assertThat(p.peerUploadRate(0)).isEqualTo(100 * 0.25 + 60 * 0.5);
        assertThat(p.popularity(0)).isEqualTo(2);
        assertThat(p.remainingBytes(1)).isZero();
        assertThat(p.peerUploadRate(1)).isEqualTo(75);
        assertThat(p.popularity(1)).isZero();
        assertThat(p.remainingBytes(2)).isEqualTo(500);
        assertThat(p.peerUploadRate(2)).isZero();
        assertThat(p.popularity(2)).isEqualTo(1);
        assertThat(p.serverUploadRate()).isEqualTo(1000);
        assertThat(p.indexOf("z")).isEqualTo(2);
        assertThat(p.indexOf("nope")).isEqualTo(-1);
        assertThat(p.imageCount()).isEqualTo(3);
        assertThat(p.image(1)).isEqualTo("y");
    }

    @Test
    void builderKeepsImageLabelsAndSumsDemandsOfTheSameSwarm() {
        AllocationProblem p = AllocationProblem.builder(10)
                .addSwarm("a1", "A")
                .addSwarm(new SwarmDemand("a2", "A", 5, 1, 2))
                .addSwarm(new SwarmDemand("b1", "B", 7, 2, 1))
                .addSwarm(new SwarmDemand("a2", null, 5, 1, 1))
                .build();
        assertThat(p.size()).isEqualTo(3);
        assertThat(p.imageCount()).isEqualTo(2);
        assertThat(p.image(0)).isEqualTo("A");
        assertThat(p.image(1)).isEqualTo("A");
        assertThat(p.image(2)).isEqualTo("B");
        assertThat(p.remainingBytes(1)).isEqualTo(10);
        assertThat(p.popularity(1)).isEqualTo(3);
        assertThat(p.demands()).contains(new SwarmDemand("b1", "B", 7, 2, 1));
    }

    @Test
    void rejectsBadNumbersWithTheSwarmNamed() {
        List<String> ids = List.of("a", "b");
        assertThatThrownBy(() -> AllocationProblem.of(ids, new double[] {1, -2}, new double[] {1, 1}, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("remaining bytes of swarm 'b' is negative");
        assertThatThrownBy(() -> AllocationProblem.of(ids, new double[] {1, 2}, new double[] {Double.NaN, 1}, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("peer upload rate of swarm 'a' is NaN");
        assertThatThrownBy(() -> AllocationProblem.of(ids, new double[] {1, Double.POSITIVE_INFINITY},
                new double[] {1, 1}, 1))
                .hasMessageContaining("infinite");
        assertThatThrownBy(() -> AllocationProblem.of(ids, new double[] {1, 2}, new double[] {1, 1}, -1))
                .hasMessageContaining("serverUploadRate must be finite and non-negative");
        assertThatThrownBy(() -> AllocationProblem.of(ids, new double[] {1, 2}, new double[] {1, 1}, Double.NaN))
                .hasMessageContaining("serverUploadRate");
    }

    @Test
    void rejectsMismatchedLengthsDuplicateIdsAndEmptyProblems() {
        assertThatThrownBy(() -> AllocationProblem.of(List.of("a", "b"), new double[] {1}, new double[] {1, 1}, 1))
                .hasMessage("mismatched lengths: 2 swarm ids but 1 remainingBytes");
        assertThatThrownBy(() -> AllocationProblem.of(List.of("a", "a"), new double[] {1, 1}, new double[] {1, 1}, 1))
                .hasMessageContaining("duplicate swarm id 'a' at 0 and 1");
        assertThatThrownBy(() -> AllocationProblem.of(List.of(), new double[0], new double[0], 1))
                .hasMessageContaining("at least one swarm");
        assertThatThrownBy(() -> AllocationProblem.of(List.of("a", ""), new double[] {1, 1}, new double[] {1, 1}, 1))
                .hasMessageContaining("null or empty");
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {1, 1}, new double[] {1, 1}, 1);
        assertThatThrownBy(() -> p.withImages(List.of("x")))
                .hasMessageContaining("mismatched lengths");
        assertThatThrownBy(() -> p.withInputs(new double[] {1}, new double[] {1, 1}, null))
                .hasMessageContaining("mismatched lengths");
    }

    @Test
    void rejectsBadPeerReports() {
        assertThatThrownBy(() -> new PeerReport("p", 10, List.of(
                new PeerReport.SwarmShare("x", 0.75, 1), new PeerReport.SwarmShare("y", 0.5, 1))))
                .hasMessageContaining("sum to 1.25")
                .hasMessageContaining("≤ 1");
        assertThatThrownBy(() -> new PeerReport.SwarmShare("x", 1.5, 1)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> new PeerReport.SwarmShare("x", Double.NaN, 1)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> new PeerReport.SwarmShare("x", 0.5, -1)).hasMessageContaining("non-negative");
        assertThatThrownBy(() -> new PeerReport("p", -1, List.of())).hasMessageContaining("upload rate of peer 'p'");
        assertThatThrownBy(() -> new SwarmDemand("s", 1, Double.NaN)).hasMessageContaining("peerUploadRate");
    }

    @Test
    void isImmutableAndDerivedProblemsShareIds() {
        double[] r = {10, 20};
        double[] p = {1, 2};
        AllocationProblem problem = AllocationProblem.of(List.of("a", "b"), r, p, 5);
        r[0] = 999;
        p[1] = 999;
        assertThat(problem.remainingBytes(0)).isEqualTo(10);
        assertThat(problem.peerUploadRate(1)).isEqualTo(2);
        assertThat(problem.popularity(1)).as("popularity defaults to remaining bytes").isEqualTo(20);

        AllocationProblem next = problem.withInputs(new double[] {5, 6}, new double[] {1, 1}, null)
                .withServerUploadRate(7);
        assertThat(next.ids()).isSameAs(problem.ids());
        assertThat(next.remainingBytes(1)).isEqualTo(6);
        assertThat(next.serverUploadRate()).isEqualTo(7);
        assertThat(problem.serverUploadRate()).isEqualTo(5);
        assertThat(next.totalRemainingBytes()).isCloseTo(11, within(1e-12));
        assertThat(problem).isEqualTo(AllocationProblem.of(List.of("a", "b"), new double[] {10, 20},
                new double[] {1, 2}, 5));
    }
}
