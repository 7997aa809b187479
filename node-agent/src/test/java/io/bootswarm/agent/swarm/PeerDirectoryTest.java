package io.bootswarm.agent.swarm;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The peer directory's tracker loop and reconnect back-off on a {@link ManualClock}: announces happen
 * when the clock says the tracker's interval (or the retry period) has passed, and a peer whose
 * connect failed is dialled again only once {@link PeerDirectory#RECONNECT_BACKOFF} has passed on it.
 */
class PeerDirectoryTest {

    final ManualClock clock = new ManualClock();
    final List<Announcer.Announce> announces = new CopyOnWriteArrayList<>();
    final AtomicInteger failNext = new AtomicInteger();
    final AtomicLong left = new AtomicLong(1000);
    final List<Peer> named = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closing = new ArrayList<>();
    Duration interval = Duration.ofSeconds(10);

    /** Counts the connects the directory starts, and those that have ended. */
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger connectsEnded = new AtomicInteger();
    final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    final ExecutorService executor = new java.util.concurrent.AbstractExecutorService() {
        final AtomicBoolean shut = new AtomicBoolean();

        @Override
        public void execute(Runnable task) {
            connects.incrementAndGet();
            threads.execute(() -> {
                try {
                    task.run();
                } finally {
                    connectsEnded.incrementAndGet();
                }
            });
        }

        @Override
        public void shutdown() {
            shut.set(true);
        }

        @Override
        public List<Runnable> shutdownNow() {
            shut.set(true);
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shut.get();
        }

        @Override
        public boolean isTerminated() {
            return shut.get();
        }

        @Override
        public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) {
            return true;
        }
    };

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        threads.shutdownNow();
    }

    PeerDirectory directory() throws IOException {
        Manifest m = SwarmExchangeTest.manifest(SwarmExchangeTest.image(4, 5));
        Announcer announcer = a -> {
            announces.add(a);
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IOException("tracker down");
            }
            return new Announcer.Result(interval, List.copyOf(named));
        };
        PeerDirectory.Progress progress = new PeerDirectory.Progress() {
            @Override
            public long left() {
                return left.get();
            }

            @Override
            public long uploaded() {
                return 7;
            }

            @Override
            public long downloaded() {
                return 9;
            }

            @Override
            public boolean fetching() {
                return false;
            }
        };
        PeerDirectory d = new PeerDirectory(m, announcer, SwarmSettings.defaults(), "-BS0100-directoryts1".getBytes(),
                6881, RateLimiter.UNLIMITED, progress, new ChangeSignal(), clock, executor,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        closing.add(d);
        return d;
    }

    List<String> events() {
        return announces.stream().map(Announcer.Announce::event).toList();
    }

    @Test
    void theTrackerLoopAnnouncesStartedThenOncePerIntervalOnTheClockThenCompletedAndStoppedOnce() throws Exception {
        PeerDirectory d = directory();
        assertThat(announces).as("nothing before start").isEmpty();
        d.start();
        d.start();
        await().until(() -> announces.size() == 1);
        assertThat(announces.getFirst().event()).isEqualTo("started");
        assertThat(announces.getFirst().left()).isEqualTo(1000);
        assertThat(announces.getFirst().uploaded()).isEqualTo(7);
        assertThat(announces.getFirst().downloaded()).isEqualTo(9);

        clock.advance(interval.minusMillis(1));
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> announces.size() == 1);
        clock.advance(Duration.ofMillis(1));
        await().until(() -> announces.size() == 2);
        assertThat(announces.get(1).event()).isNull();

        left.set(0);
        clock.advance(interval);
        await().until(() -> announces.size() == 3);
        clock.advance(interval);
        await().until(() -> announces.size() == 4);
        assertThat(events()).containsExactly("started", null, "completed", null);

        d.close();
        d.close();
        assertThat(events()).containsExactly("started", null, "completed", null, "stopped");
    }

    @Test
    void aFailedAnnounceIsRetriedAfterTheRetryPeriodAndALongIntervalIsCappedAt30Seconds() throws Exception {
        interval = Duration.ofHours(1);
        failNext.set(1);
        PeerDirectory d = directory();
        d.start();
        await().until(() -> announces.size() == 1);

        clock.advance(SwarmSettings.defaults().announceRetry());
        await().until(() -> announces.size() == 2);
        assertThat(events()).as("the start is announced again until the tracker takes it")
                .containsExactly("started", "started");

        clock.advance(PeerDirectory.MAX_ANNOUNCE_INTERVAL);
        await().until(() -> announces.size() == 3);
        assertThat(events()).containsExactly("started", "started", null);
    }

    @Test
    void aPeerWhoseConnectFailedIsDialledAgainOnlyAfterTheBackOffOnTheClock() throws Exception {
        StandInPeer refusing = new StandInPeer(SwarmExchangeTest.manifest(SwarmExchangeTest.image(4, 5)), new byte[0]);
        closing.add(refusing);
        refusing.refuse();
        named.add(refusing.peer(false));
        PeerDirectory d = directory();
        d.start();
        await().until(() -> announces.size() == 1);

        d.ensureConnections(false);
        assertThat(connects).hasValue(1);
        await().until(() -> connectsEnded.get() == 1);
        assertThat(refusing.accepted()).isEqualTo(1);

        d.ensureConnections(false);
        clock.advance(PeerDirectory.RECONNECT_BACKOFF.minusMillis(1));
        d.ensureConnections(false);
        assertThat(connects).as("backing off").hasValue(1);

        clock.advance(Duration.ofMillis(1));
        d.ensureConnections(false);
        assertThat(connects).hasValue(2);
        await().until(() -> refusing.accepted() == 2);
    }

    @Test
    void theBackOffDoublesWithEachFailureInARowUpTo30Seconds() throws Exception {
        assertThat(java.util.stream.IntStream.rangeClosed(1, 6).mapToObj(PeerDirectory::backoffAfter).toList())
                .containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(6), Duration.ofSeconds(12),
                        Duration.ofSeconds(24), Duration.ofSeconds(30), Duration.ofSeconds(30));
        assertThat(PeerDirectory.backoffAfter(1000)).isEqualTo(PeerDirectory.MAX_RECONNECT_BACKOFF);

        StandInPeer refusing = new StandInPeer(SwarmExchangeTest.manifest(SwarmExchangeTest.image(4, 5)), new byte[0]);
        closing.add(refusing);
        refusing.refuse();
        named.add(refusing.peer(false));
        PeerDirectory d = directory();
        d.start();
        await().until(() -> announces.size() == 1);
        d.ensureConnections(false);
        await().until(() -> connectsEnded.get() == 1);
        clock.advance(Duration.ofSeconds(3));
        d.ensureConnections(false);
        await().until(() -> connectsEnded.get() == 2);
        assertThat(d.unreachable()).hasSize(1);
        assertThat(d.unreachable().values()).singleElement().asString().startsWith("2 failures in a row");

        clock.advance(Duration.ofSeconds(6).minusMillis(1));
        d.ensureConnections(false);
        assertThat(connects).as("second back-off: 6 s").hasValue(2);
        clock.advance(Duration.ofMillis(1));
        d.ensureConnections(false);
        assertThat(connects).hasValue(3);
        await().until(() -> refusing.accepted() == 3);
    }

    @Test
    void peersThatLeftTheSwarmAreForgottenAtTheNextAnnounce() throws Exception {
        StandInPeer refusing = new StandInPeer(SwarmExchangeTest.manifest(SwarmExchangeTest.image(4, 5)), new byte[0]);
        closing.add(refusing);
        refusing.refuse();
        named.add(refusing.peer(false));
        PeerDirectory d = directory();
        d.start();
        await().until(() -> announces.size() == 1);
        d.ensureConnections(false);
        await().until(() -> connectsEnded.get() == 1);
        d.peerSeen(new Peer("127.0.0.9", 6999, false)); // connected to us; nothing listens on its port
        await().until(() -> connectsEnded.get() == 2);
        assertThat(d.unreachable()).hasSize(2);
        assertThat(d.knownPeers()).isEqualTo(2);
        int before = d.tableEntries();

        named.clear();
        clock.advance(interval);
        await().until(() -> announces.size() == 2);
        await().until(() -> d.knownPeers() == 0);
        assertThat(d.unreachable()).as("back-off of a peer gone from the swarm").isEmpty();
        assertThat(d.tableEntries()).isLessThan(before).isZero();
    }

    @Test
    void closingBeforeStartTellsTheTrackerStoppedAndStartsNothing() throws Exception {
        PeerDirectory d = directory();
        d.close();
        d.start();
        assertThat(events()).containsExactly("stopped");
        clock.advance(Duration.ofMinutes(5));
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> announces.size() == 1);
    }

    @Test
    void anAgentThatConnectsSharesTheSeedsPiecesBeforeTheNextAnnounceAStockClientDoesNot() throws Exception {
        Manifest m = SwarmExchangeTest.manifest(SwarmExchangeTest.image(4, 5));
        StandInPeer agent = new StandInPeer(m, SwarmExchangeTest.image(4, 5));
        closing.add(agent);
        byte[] agentId = "-BS0100-joinedlater1".getBytes();
        agent.peerId(agentId);
        StandInPeer stock = new StandInPeer(m, SwarmExchangeTest.image(4, 5));
        closing.add(stock);
        stock.peerId("-lt2080-stockclient1".getBytes());
        PeerDirectory d = directory();
        d.start();
        await().until(() -> announces.size() == 1);
        assertThat(d.partition().size()).as("the tracker named no agent").isEqualTo(1);

        d.peerSeen(stock.peer(false));
        await().until(() -> connectsEnded.get() == 1 && stock.accepted() == 1);
        assertThat(d.partition().size()).as("a stock client takes nothing from the seed for us").isEqualTo(1);

        d.peerSeen(agent.peer(false)); // it connected to us; we dial it back
        await().until(() -> d.partition().size() == 2);
        assertThat(d.partition().includes(java.util.HexFormat.of().formatHex(agentId))).isTrue();
        assertThat(announces).as("no announce needed").hasSize(1);
        int owned = 0;
        for (int piece = 0; piece < 1000; piece++) {
            owned += d.partition().owns(piece) ? 1 : 0;
        }
        assertThat(owned).as("about half of the pieces are ours now").isBetween(400, 600);
    }
}
