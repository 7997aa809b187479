package io.bootswarm.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * When each simulated host announces, for {@link TenThousandHostsBenchmark}: every host is in two swarms, the one
 * every host boots (swarm 0, all {@code hosts}) and the swarm of its own image ({@code 1 + host / swarmSize}, so
 * {@code hosts / swarmSize} images of {@code swarmSize} hosts). Each of these memberships announces once per
 * interval, {@code rounds} times: {@code started} with the whole image left, regular announces with {@code left}
 * falling by equal steps, then {@code completed} with nothing left; {@link #stops()} is the round after, every
 * membership {@code stopped}. The memberships take turns in a fixed shuffled order, one every
 * {@link #spacingNanos()}, so the offered rate is constant and the interval is {@code memberships / rate}.
 *
 * @param hosts     simulated hosts, each with its own peer id
 * @param swarmSize hosts per image swarm (the last one smaller when it does not divide {@code hosts})
 * @param rounds    announces per membership before {@code stopped}, at least 2 (started, completed)
 * @param rate      offered announces per second
 */
record AnnounceSchedule(int hosts, int swarmSize, int rounds, double rate) {

    /** Size of every simulated image: what {@code left} starts from. */
    static final long IMAGE_BYTES = 4L << 30;

    /** Fixed, so that two runs at one rate send the same sequence. */
    private static final long SHUFFLE_SEED = 15;

    /** One announce: due {@code atNanos} after the schedule starts. */
    record Planned(long atNanos, int host, int swarm, Event event, long left) {
    }

    /** The announce's {@code event}; {@link #REGULAR} has none. */
    enum Event {
        STARTED("started"), REGULAR(""), COMPLETED("completed"), STOPPED("stopped");

        private final String wire;

        Event(String wire) {
            this.wire = wire;
        }

        /** As the JSON announce spells it. */
        String wire() {
            return wire;
        }
    }

    AnnounceSchedule {
        if (hosts < 1 || swarmSize < 1 || rounds < 2 || !(rate > 0)) {
            throw new IllegalArgumentException("hosts " + hosts + ", swarm size " + swarmSize + ", rounds " + rounds
                    + ", rate " + rate + ": need hosts and swarm size above 0, rounds at least 2, rate above 0");
        }
    }

    /** Swarms: the shared one plus the image swarms. */
    int swarms() {
        return 1 + (hosts + swarmSize - 1) / swarmSize;
    }

    /** Host-in-swarm pairs, each announcing once per interval. */
    int memberships() {
        return 2 * hosts;
    }

    /** Time between two consecutive announces of the schedule: {@code 1 / rate}. */
    long spacingNanos() {
        return Math.max(1, Math.round(1e9 / rate));
    }

    /** Time between two announces of one membership. */
    Duration interval() {
        return Duration.ofNanos(spacingNanos() * memberships());
    }

    /** The image swarm of {@code host}. */
    int imageSwarm(int host) {
        return 1 + host / swarmSize;
    }

    /** Every announce before {@code stopped}, in the order they are due. */
    List<Planned> announces() {
        int[] slots = slots();
        long interval = interval().toNanos();
        List<Planned> plan = new ArrayList<>(rounds * memberships());
        for (int round = 0; round < rounds; round++) {
            Event event = round == 0 ? Event.STARTED : round == rounds - 1 ? Event.COMPLETED : Event.REGULAR;
            long left = IMAGE_BYTES * (rounds - 1 - round) / (rounds - 1);
            for (int m = 0; m < slots.length; m++) {
                plan.add(planned(m, round * interval + slots[m] * spacingNanos(), event, left));
            }
        }
        plan.sort(Comparator.comparingLong(Planned::atNanos));
        return plan;
    }

    /** The round after {@link #announces()}: every membership {@code stopped}, due from 0, in the same order. */
    List<Planned> stops() {
        int[] slots = slots();
        List<Planned> plan = new ArrayList<>(memberships());
        for (int m = 0; m < slots.length; m++) {
            plan.add(planned(m, slots[m] * spacingNanos(), Event.STOPPED, 0));
        }
        plan.sort(Comparator.comparingLong(Planned::atNanos));
        return plan;
    }

    private Planned planned(int membership, long at, Event event, long left) {
        int host = membership / 2;
        return new Planned(at, host, membership % 2 == 0 ? 0 : imageSwarm(host), event, left);
    }

    /** Membership {@code m}'s turn within a round: a seeded shuffle of 0..memberships-1. */
    private int[] slots() {
        int[] slots = new int[memberships()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = i;
        }
        Random random = new Random(SHUFFLE_SEED);
        for (int i = slots.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = slots[i];
            slots[i] = slots[j];
            slots[j] = t;
        }
        return slots;
    }
}
