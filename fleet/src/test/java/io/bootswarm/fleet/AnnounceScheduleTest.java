package io.bootswarm.fleet;

import io.bootswarm.fleet.AnnounceSchedule.Event;
import io.bootswarm.fleet.AnnounceSchedule.Planned;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnnounceScheduleTest {

    private final AnnounceSchedule schedule = new AnnounceSchedule(1000, 100, 4, 500);

    @Test
    void everyMembershipStartsReannouncesWithLeftFallingAndCompletesOneIntervalApart() {
        Map<List<Integer>, List<Planned>> byMembership = schedule.announces().stream()
                .collect(Collectors.groupingBy(p -> List.of(p.host(), p.swarm())));

        assertThat(schedule.interval()).isEqualTo(Duration.ofSeconds(4));
        assertThat(byMembership).hasSize(2000);
        long interval = schedule.interval().toNanos();
        byMembership.values().forEach(announces -> {
            assertThat(announces).extracting(Planned::event)
                    .containsExactly(Event.STARTED, Event.REGULAR, Event.REGULAR, Event.COMPLETED);
            assertThat(announces).extracting(Planned::left).containsExactly(AnnounceSchedule.IMAGE_BYTES,
                    AnnounceSchedule.IMAGE_BYTES * 2 / 3, AnnounceSchedule.IMAGE_BYTES / 3, 0L);
            for (int i = 1; i < announces.size(); i++) {
                assertThat(announces.get(i).atNanos() - announces.get(i - 1).atNanos()).isEqualTo(interval);
            }
        });
    }

    @Test
    void announcesAreDueOneSpacingApartSoTheOfferedRateIsConstant() {
        List<Planned> plan = schedule.announces();

        assertThat(plan).hasSize(4 * 2000);
        assertThat(schedule.spacingNanos()).isEqualTo(2_000_000);
        for (int i = 0; i < plan.size(); i++) {
            assertThat(plan.get(i).atNanos()).isEqualTo(i * 2_000_000L);
        }
    }

    @Test
    void everyHostIsInTheSwarmOfAllAndInOneImageSwarmOfSwarmSize() {
        Map<Integer, Long> hostsPerSwarm = schedule.announces().stream().filter(p -> p.event() == Event.STARTED)
                .collect(Collectors.groupingBy(Planned::swarm, Collectors.counting()));

        assertThat(schedule.swarms()).isEqualTo(11);
        assertThat(hostsPerSwarm).hasSize(11).containsEntry(0, 1000L);
        for (int swarm = 1; swarm <= 10; swarm++) {
            assertThat(hostsPerSwarm).containsEntry(swarm, 100L);
        }
        assertThat(schedule.imageSwarm(0)).isEqualTo(1);
        assertThat(schedule.imageSwarm(999)).isEqualTo(10);
        assertThat(new AnnounceSchedule(1050, 100, 2, 1).swarms()).isEqualTo(12);
    }

    @Test
    void stopsAreOneStoppedPerMembershipInTheSameTurns() {
        List<Planned> stops = schedule.stops();
        Map<List<Integer>, Planned> firstRound = schedule.announces().stream().filter(p -> p.event() == Event.STARTED)
                .collect(Collectors.toMap(p -> List.of(p.host(), p.swarm()), Function.identity()));

        assertThat(stops).hasSize(2000).allMatch(p -> p.event() == Event.STOPPED && p.left() == 0);
        stops.forEach(p -> assertThat(p.atNanos()).isEqualTo(firstRound.get(List.of(p.host(), p.swarm())).atNanos()));
    }

    @Test
    void refusesFewerThanTwoRoundsAndNoRate() {
        assertThatThrownBy(() -> new AnnounceSchedule(10, 10, 1, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AnnounceSchedule(10, 10, 2, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AnnounceSchedule(10, 0, 2, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
