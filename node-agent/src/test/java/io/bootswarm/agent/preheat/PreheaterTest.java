package io.bootswarm.agent.preheat;

import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The preheater's rate bound, cancel and retries, on a clock moved by hand and a source that answers at once. */
class PreheaterTest {

    private static final int PIECE = 1000;

    private final ManualClock clock = new ManualClock();
    private final List<Thread> threads = new ArrayList<>();

    /** A source holding {@code present}; fetching a piece adds it unless {@code fails} says no. */
    private static final class FakeSource implements Preheater.Source {
        final Set<Integer> present = ConcurrentHashMap.newKeySet();
        final List<Integer> fetched = java.util.Collections.synchronizedList(new ArrayList<>());
        final Map<Integer, Integer> attempts = new ConcurrentHashMap<>();
        volatile Predicate<Integer> fails = p -> false;

        @Override
        public boolean have(int piece) {
            return present.contains(piece);
        }

        @Override
        public CompletableFuture<Void> fetch(int piece) {
            fetched.add(piece);
            int n = attempts.merge(piece, 1, Integer::sum);
            if (fails.test(piece * 100 + n)) {
                return CompletableFuture.failedFuture(new java.io.IOException("no peer delivered " + piece));
            }
            present.add(piece);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public int pieceLength(int piece) {
            return PIECE;
        }
    }

    private static int[] range(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    private AtomicReference<Preheater.Progress> start(Preheater p) {
        AtomicReference<Preheater.Progress> end = new AtomicReference<>();
        threads.add(Thread.ofVirtual().start(() -> {
            try {
                end.set(p.run());
            } catch (InterruptedException e) {
                // the test ended
            }
        }));
        return end;
    }

    @AfterEach
    void stop() {
        threads.forEach(Thread::interrupt);
    }

    @Test
    void fetchesNoFasterThanTheRateAndAtMostOneSecondsWorthAtOnce() {
        FakeSource source = new FakeSource();
        Preheater p = new Preheater(range(20), source, 4 * PIECE, 8, 3, clock);
        AtomicReference<Preheater.Progress> end = start(p);

        await().until(() -> p.progress().pacing() && p.progress().requested() == 4);
        clock.advance(Duration.ofMillis(500));
        await().until(() -> p.progress().pacing() && p.progress().requested() == 6);
        clock.advance(Duration.ofSeconds(10)); // a long pause earns one second's worth, not ten
        await().until(() -> p.progress().pacing() && p.progress().requested() == 10);
        assertThat(source.fetched).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(p.progress().piecesDone()).isEqualTo(10);
        assertThat(p.progress().bytesFetched()).isEqualTo(10L * PIECE);
        assertThat(end.get()).isNull();

        clock.advance(Duration.ofSeconds(1));
        await().until(() -> p.progress().pacing() && p.progress().requested() == 14);
        clock.advance(Duration.ofSeconds(1));
        await().until(() -> p.progress().pacing() && p.progress().requested() == 18);
        clock.advance(Duration.ofSeconds(1));
        await().until(() -> end.get() != null);
        assertThat(end.get().state()).isEqualTo(Preheater.State.DONE);
        assertThat(end.get().piecesDone()).isEqualTo(20);
        assertThat(end.get().requested()).isEqualTo(20);
    }

    @Test
    void cancelStopsRequestsAndEndsWithNothingInFlight() {
        FakeSource source = new FakeSource();
        Preheater p = new Preheater(range(50), source, 2 * PIECE, 4, 3, clock);
        AtomicReference<Preheater.Progress> end = start(p);
        await().until(() -> p.progress().pacing() && p.progress().requested() == 2);

        p.cancel();
        await().until(() -> end.get() != null);
        clock.advance(Duration.ofSeconds(60));

        assertThat(end.get().state()).isEqualTo(Preheater.State.CANCELLED);
        assertThat(end.get().inFlight()).isZero();
        assertThat(p.progress().requested()).isEqualTo(2);
        assertThat(source.fetched).containsExactly(0, 1);
    }

    @Test
    void piecesAlreadyPresentAreDoneWithoutRequestsAndRepeatsAreFetchedOnce() throws Exception {
        FakeSource source = new FakeSource();
        source.present.addAll(List.of(1, 3));
        Preheater p = new Preheater(new int[]{3, 0, 1, 2, 0, 3}, source, 0, 2, 3, clock);

        Preheater.Progress end = p.run();

        assertThat(end.state()).isEqualTo(Preheater.State.DONE);
        assertThat(end.piecesTotal()).isEqualTo(4);
        assertThat(end.piecesDone()).isEqualTo(4);
        assertThat(end.bytesFetched()).isEqualTo(2L * PIECE);
        assertThat(source.fetched).containsExactly(0, 2);
    }

    @Test
    void aPieceThatFailsIsTriedAgainAndOneThatAlwaysFailsFailsThePreheat() throws Exception {
        FakeSource once = new FakeSource();
        once.fails = attempt -> attempt == 201; // piece 2, first attempt
        Preheater.Progress recovered = new Preheater(range(4), once, 0, 2, 3, clock).run();
        assertThat(recovered.state()).isEqualTo(Preheater.State.DONE);
        assertThat(recovered.piecesDone()).isEqualTo(4);
        assertThat(once.attempts).containsEntry(2, 2);

        FakeSource always = new FakeSource();
        always.fails = attempt -> attempt / 100 == 2;
        Preheater.Progress failed = new Preheater(range(4), always, 0, 2, 3, clock).run();
        assertThat(failed.state()).isEqualTo(Preheater.State.FAILED);
        assertThat(failed.piecesDone()).isEqualTo(3);
        assertThat(failed.detail()).isEqualTo("1 pieces could not be fetched in 3 attempts");
        assertThat(always.attempts).containsEntry(2, 3);
    }
}
