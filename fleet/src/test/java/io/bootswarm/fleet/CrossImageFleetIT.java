package io.bootswarm.fleet;

import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.common.manifest.SwarmId;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cross-image distribution with allocator-service in the loop (Wu et al.). Two worlds side by side
 * in one fleet, each with an image A and an image B derived from it (B = A with its first 6 MiB
 * replaced and 4 MiB appended, so most of B's non-zero pieces are A's): in the <em>cross</em> world
 * the agents serve peers of other images ({@code cross-image=true}, the default), in the
 * <em>isolated</em> world they do not. Two agents per image and world: A's first, then B's.
 *
 * <p>Shown: agents of B1 receive shared pieces from agents of A1 (counted per source peer on the
 * receiving side, per swarm on the serving side), none cross in the isolated world; the seed uploads
 * fewer bytes of B in the cross world than in the isolated one; while a plan is fresh, the seed's
 * per-group byte rates stay within the plan's rates (15 % for the token buckets' bursts and the
 * sampling); allocator-service stopped mid-distribution, the seed falls back to its own split and B
 * completes; a restarted allocator-service publishes plans again and the seed applies them.
 *
 * <p>The isolated world's A agents are stopped once A is distributed: isolated, they could serve B
 * nothing anyway, but their swarm reports would still tell the allocator that B2's shared group has
 * peer upload (their upload share of it), a world this fleet does not have.
 */
class CrossImageFleetIT extends FleetITSupport {

    private static final long SEED_RATE = 4_000_000;
    private static final double TOLERANCE = 0.15;
    private static final int MIB = 1024 * 1024;

    @Override
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults.withSeedProperties(Map.of("bootswarm.seed.upload-rate", SEED_RATE + "B",
                        "bootswarm.seed.allocation.check-interval", "250ms"))
                .withAllocatorProperties(Map.of("bootswarm.allocator.period", "1s",
                        "bootswarm.allocator.plan-validity", "3s",
                        "bootswarm.allocator.report-interval", "1s"));
    }

    /**
     * One sample of the seed's split: its source and plan, group rates and bytes served per group, and
     * when it was asked for ({@code askedNanos}) and answered ({@code answeredNanos}): the seed read its
     * counters in between, so the time between two samples' counters is at most from the first's
     * asking to the second's answer, however slowly the machine answers.
     */
    record Sample(long askedNanos, long answeredNanos, String source, String planId, Map<String, Double> rates,
                  Map<String, Long> uploaded, long minRate) {
    }

    @Test
    void imageBFeedsOnImageAAndTheSeedFollowsThePlanAndItsFallback() throws Exception {
        UUID a1 = upload("cross-a", 1);
        UUID b1 = uploadDerived("cross-b", 1);
        UUID a2 = upload("iso-a", 2);
        UUID b2 = uploadDerived("iso-b", 2);

        Map<String, Object> link = Map.of("bootswarm.agent.swarm.upload-rate", "8MB",
                "bootswarm.agent.report.interval", "1s");
        Map<String, Object> isolated = new HashMap<>(link);
        isolated.put("bootswarm.agent.swarm.cross-image", false);
        List<LocalFleet.Agent> crossA = List.of(fleet.startAgent("x-a1", link), fleet.startAgent("x-a2", link));
        List<LocalFleet.Agent> crossB = List.of(fleet.startAgent("x-b1", link), fleet.startAgent("x-b2", link));
        List<LocalFleet.Agent> isoA = List.of(fleet.startAgent("i-a1", isolated), fleet.startAgent("i-a2", isolated));
        List<LocalFleet.Agent> isoB = List.of(fleet.startAgent("i-b1", isolated), fleet.startAgent("i-b2", isolated));
        for (LocalFleet.Agent a : fleet.agents()) {
            client.awaitHostUp(a.name(), T);
        }

        UUID launchA1 = launch(a1, crossA);
        UUID launchA2 = launch(a2, isoA);
        awaitComplete(launchA1, crossA);
        awaitComplete(launchA2, isoA);
        isoA.forEach(LocalFleet.Agent::close);

        List<Sample> samples = new CopyOnWriteArrayList<>();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleWithFixedDelay(() -> {
            try {
                samples.add(sample());
            } catch (Exception e) {
                // the next sample
            }
        }, 0, 250, TimeUnit.MILLISECONDS);

        long bytesB1Before = seedBytes(b1);
        long bytesB2Before = seedBytes(b2);
        UUID launchB1 = launch(b1, crossB);
        UUID launchB2 = launch(b2, isoB);

        // a plan is in force during B's distribution, and the seed serves under it for a few samples; then
        // allocator-service goes away
        JsonNode planned = awaitSplit(s -> "PLAN".equals(s.path("source").asString()), "a plan in force");
        FleetClient.await(() -> !planFollowing(samples).isEmpty(), T, "bytes served under a plan");
        int presentAtKill = present(launchB1, crossB) + present(launchB2, isoB);
        fleet.stopAllocator();
        JsonNode fallback = awaitSplit(s -> "FALLBACK".equals(s.path("source").asString())
                || "UNSHAPED".equals(s.path("source").asString()), "the fallback split");
        // B's distribution goes on without allocator-service
        FleetClient.await(() -> present(launchB1, crossB) + present(launchB2, isoB) > presentAtKill, T,
                "pieces of B arriving under the fallback split");
        int presentInFallback = present(launchB1, crossB) + present(launchB2, isoB);

        Set<String> plansBefore = planIds(samples);
        fleet.startAllocator();
        JsonNode resumed = awaitSplit(s -> "PLAN".equals(s.path("source").asString())
                && !plansBefore.contains(s.path("planId").asString()), "a plan from the restarted allocator");

        awaitComplete(launchB1, crossB);
        awaitComplete(launchB2, isoB);
        sampler.shutdown();
        assertThat(sampler.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        // per source: B1's agents got pieces from A1's agents; nothing crossed in the isolated world
        long fromA = piecesFrom(crossB, b1, crossA);
        long crossServed = crossA.stream().mapToLong(a -> a.context().getBean(SwarmManager.class).crossUploads()
                .getOrDefault(swarmOf(b1), 0L)).sum();
        long fromIsoA = piecesFromPorts(isoB, b2, Set.of());
        long seedB1 = seedBytes(b1) - bytesB1Before;
        long seedB2 = seedBytes(b2) - bytesB2Before;
        long nonZeroB = client.image(b1).path("nonZeroBytes").asLong();

        // while a plan was fresh the seed stayed within each group's planned rate
        Map<String, double[]> byGroup = planFollowing(samples);

        System.out.printf("""
                        cross-image fleet:
                          B1 (cross) agents got %d pieces from A1's agents; A1's agents served %d bytes to swarm B1
                          seed bytes for B: cross %d (%.2f x B's non-zero %d), isolated %d (%.2f x): cross/isolated %.2f
                          allocator stopped: seed on %s; B pieces present %d at the stop, %d under the fallback
                          allocator restarted: new plan %s applied (before: %s)
                        """, fromA, crossServed, seedB1, (double) seedB1 / nonZeroB, nonZeroB, seedB2,
                (double) seedB2 / nonZeroB, (double) seedB1 / seedB2, fallback.path("source").asString(),
                presentAtKill, presentInFallback, resumed.path("planId").asString(),
                planned.path("planId").asString());
        byGroup.forEach((g, v) -> System.out.printf("  group %s: served %.0f B/s while plans allowed %.0f B/s "
                + "(%.0f%% of plan, over %.1f s)%n", g, v[0] / v[2], v[1] / v[2], 100 * v[0] / v[1], v[2]));

        assertThat(fromA).as("pieces B1's agents got from A1's agents").isPositive();
        assertThat(crossServed).as("bytes A1's agents served to swarm B1").isPositive();
        assertThat(fromIsoA).as("pieces crossing in the isolated world").isZero();
        assertThat(seedB1).as("seed bytes of B, cross-image vs isolated").isLessThan(seedB2);
        assertThat(byGroup).as("groups measured under a plan").isNotEmpty();
        byGroup.forEach((g, v) -> assertThat(v[0]).as("bytes of group %s under plans", g)
                .isLessThanOrEqualTo(v[1] * (1 + TOLERANCE)));
        assertThat(presentInFallback).as("B's distribution goes on without allocator-service")
                .isGreaterThan(presentAtKill);
        // the first fallback names the plan that expired; each later look, while no plan comes, says since when
        assertThat(fallback.path("reason").asString()).as("why the seed fell back")
                .containsAnyOf("expired at", "no fresh plan since");
    }

    private static UUID upload(String name, long seed) throws Exception {
        Path file = Tools.image(work.resolve(name + ".img"), 32L * MIB, seed);
        return UUID.fromString(client.uploadImage(name, file).path("id").asString());
    }

    /** B: A (uploaded as {@code cross-a}/{@code iso-a}) with its first 6 MiB replaced and 4 MiB appended. */
    private static UUID uploadDerived(String name, long seed) throws Exception {
        Path a = work.resolve(name.replace("-b", "-a") + ".img");
        byte[] bytes = Files.readAllBytes(a);
        Random r = new Random(seed * 1000);
        byte[] head = new byte[6 * MIB];
        r.nextBytes(head);
        System.arraycopy(head, 0, bytes, 0, head.length);
        Path b = work.resolve(name + ".img");
        try (OutputStream out = Files.newOutputStream(b)) {
            out.write(bytes);
            byte[] tail = new byte[4 * MIB];
            r.nextBytes(tail);
            out.write(tail);
        }
        return UUID.fromString(client.uploadImage(name, b).path("id").asString());
    }

    private static UUID launch(UUID image, List<LocalFleet.Agent> agents) throws Exception {
        return UUID.fromString(client.launch(image, agents.stream().map(LocalFleet.Agent::name).toList(),
                Map.of("policy", "DEMAND", "backgroundFill", true), null).path("id").asString());
    }

    private static void awaitComplete(UUID launch, List<LocalFleet.Agent> agents) throws Exception {
        client.awaitLaunchReady(launch, T);
        for (LocalFleet.Agent a : agents) {
            FleetClient.await(() -> {
                JsonNode d = client.disk(a.apiUrl(), launch);
                return d.path("piecesPresent").asInt() == d.path("piecesTotal").asInt();
            }, T, a.name() + " complete");
        }
    }

    private static int present(UUID launch, List<LocalFleet.Agent> agents) throws IOException, InterruptedException {
        int n = 0;
        for (LocalFleet.Agent a : agents) {
            try {
                n += client.disk(a.apiUrl(), launch).path("piecesPresent").asInt();
            } catch (FleetClient.HttpError e) {
                // not created yet
            }
        }
        return n;
    }

    private static long seedBytes(UUID image) throws Exception {
        return client.image(image).path("uploadedBytes").asLong();
    }

    private static SwarmId swarmOf(UUID image) {
        try {
            return SwarmId.parse(client.image(image).path("swarmId").asString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pieces the {@code receivers} fetched in {@code image}'s swarm from the {@code sources}' peer ports. */
    private static long piecesFrom(List<LocalFleet.Agent> receivers, UUID image, List<LocalFleet.Agent> sources) {
        Set<String> ports = new LinkedHashSet<>();
        for (LocalFleet.Agent s : sources) {
            ports.add(":" + s.context().getBean(SwarmManager.class).peerPort());
        }
        return piecesFromPorts(receivers, image, ports);
    }

    /** With no ports: pieces from any peer that is neither a receiver nor the seed (i.e. another image's agent). */
    private static long piecesFromPorts(List<LocalFleet.Agent> receivers, UUID image, Set<String> ports) {
        Set<String> own = new LinkedHashSet<>();
        for (LocalFleet.Agent r : receivers) {
            own.add(":" + r.context().getBean(SwarmManager.class).peerPort());
        }
        String seedPort = ":" + seedPeerPort();
        long n = 0;
        for (LocalFleet.Agent r : receivers) {
            Map<String, Long> byPeer = r.context().getBean(SwarmManager.class).find(image).orElseThrow().stats()
                    .piecesByPeer();
            for (Map.Entry<String, Long> e : byPeer.entrySet()) {
                String port = e.getKey().substring(e.getKey().lastIndexOf(':'));
                boolean counted = ports.isEmpty()
                        ? !own.contains(port) && !port.equals(seedPort)
                        : ports.contains(port);
                if (counted) {
                    n += e.getValue();
                }
            }
        }
        return n;
    }

    private static int seedPeerPort() {
        return fleet.seed().getBean(io.bootswarm.common.wire.PeerWireServer.class).port();
    }

    private static Sample sample() throws Exception {
        long asked = System.nanoTime();
        JsonNode s = client.get(fleet.seedUrl() + "/api/v1/allocation");
        long answered = System.nanoTime();
        Map<String, Double> rates = new HashMap<>();
        Map<String, Long> uploaded = new HashMap<>();
        for (JsonNode r : s.path("swarms")) {
            if (r.path("groupId").isNull() || r.path("groupId").isMissingNode()) {
                continue;
            }
            String g = r.path("groupId").asString();
            if (r.path("limit").asLong() > 0) { // 0: a group served but not in the split, not limited on its own
                rates.put(g, (double) r.path("limit").asLong());
            }
            uploaded.put(g, r.path("uploadedBytes").asLong());
        }
        return new Sample(asked, answered, s.path("source").asString(), s.path("planId").asString(null), rates,
                uploaded, s.path("minRate").asLong());
    }

    private static JsonNode awaitSplit(java.util.function.Predicate<JsonNode> condition, String what)
            throws Exception {
        JsonNode[] last = new JsonNode[1];
        FleetClient.await(() -> condition.test(last[0] = client.get(fleet.seedUrl() + "/api/v1/allocation")),
                Duration.ofSeconds(30), what);
        return last[0];
    }

    private static Set<String> planIds(List<Sample> samples) {
        Set<String> ids = new LinkedHashSet<>();
        samples.stream().filter(s -> s.planId() != null).forEach(s -> ids.add(s.planId()));
        return ids;
    }

    /**
     * Per group, over consecutive samples under the same plan: {bytes served, bytes the plans allowed,
     * seconds}. Allowed is the plan's rate (or the min-rate floor) times the time, plus one token
     * bucket's burst (1/20 s of its rate, at least 64 KiB) per plan, as a bucket may start full. The time
     * is an upper bound of the time between the two samples' counters (the first's asking to the second's
     * answer), so a slow machine makes the bound looser, never tighter: this asserts bytes against a
     * bound, not a rate against the wall clock.
     */
    private static Map<String, double[]> planFollowing(List<Sample> samples) {
        Map<String, double[]> out = new HashMap<>();
        Map<String, Set<String>> plansCounted = new HashMap<>();
        List<Sample> list = new ArrayList<>(samples);
        for (int i = 1; i < list.size(); i++) {
            Sample a = list.get(i - 1);
            Sample b = list.get(i);
            if (!"PLAN".equals(a.source()) || !"PLAN".equals(b.source()) || a.planId() == null
                    || !a.planId().equals(b.planId())) {
                continue;
            }
            double seconds = (b.answeredNanos() - a.askedNanos()) / 1e9;
            for (Map.Entry<String, Long> e : b.uploaded().entrySet()) {
                if (!a.rates().containsKey(e.getKey()) || !b.rates().containsKey(e.getKey())) {
                    continue;
                }
                long served = e.getValue() - a.uploaded().getOrDefault(e.getKey(), 0L);
                double rate = Math.max(a.rates().get(e.getKey()), a.minRate());
                double burst = plansCounted.computeIfAbsent(e.getKey(), k -> new java.util.HashSet<>())
                        .add(a.planId()) ? Math.max(64 * 1024, rate / 20) : 0;
                double[] v = out.computeIfAbsent(e.getKey(), k -> new double[3]);
                v[0] += served;
                v[1] += rate * seconds + burst;
                v[2] += seconds;
            }
        }
        out.values().removeIf(v -> v[0] == 0);
        return out;
    }
}
