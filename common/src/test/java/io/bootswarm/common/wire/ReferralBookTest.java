package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.SwarmId;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's referral memory: who is named for a piece, in which order, and for how long. */
class ReferralBookTest {

    private static final SwarmId SWARM = SwarmId.of(new byte[20]);
    private static final long SECOND = 1_000_000_000L;

    private static InetSocketAddress agent(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Test
    void agentsSentThePieceComeBeforeAgentsOnlyReferredEachMostRecentFirst() {
        ReferralBook book = new ReferralBook(Duration.ofSeconds(60), 4);
        book.note(SWARM, 7, agent(1), 0, true);
        book.note(SWARM, 7, agent(2), SECOND, false);
        book.note(SWARM, 7, agent(3), 2 * SECOND, true);
        book.note(SWARM, 7, agent(4), 3 * SECOND, false);

        assertThat(book.holders(SWARM, 7, agent(9), 4 * SECOND))
                .containsExactly(agent(3), agent(1), agent(4), agent(2));
        assertThat(book.holders(SWARM, 7, agent(3), 4 * SECOND)).as("not the asker itself")
                .containsExactly(agent(1), agent(4), agent(2));
        assertThat(book.holders(SWARM, 8, agent(9), 4 * SECOND)).isEmpty();
    }

    @Test
    void atMostTheLastFewAreKeptAndOnlyWithinTheWindow() {
        ReferralBook book = new ReferralBook(Duration.ofSeconds(60), 2);
        book.note(SWARM, 7, agent(1), 0, true);
        book.note(SWARM, 7, agent(2), SECOND, true);
        book.note(SWARM, 7, agent(3), 2 * SECOND, true);
        book.note(SWARM, 7, agent(2), 3 * SECOND, true);
        assertThat(book.holders(SWARM, 7, agent(9), 4 * SECOND)).containsExactly(agent(2), agent(3));

        assertThat(book.holders(SWARM, 7, agent(9), 62 * SECOND)).containsExactly(agent(2));
        book.prune(64 * SECOND);
        assertThat(book.pieces()).isZero();
    }
}
