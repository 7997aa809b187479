package io.bootswarm.fleet;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends an {@link AnnounceSchedule}'s JSON announces open-loop, each at the time it is due whatever the answers
 * before it, host {@code h} always through replica {@code h % replicas} (as a Service keeps an agent's keep-alive
 * connection on one pod), with its own token and peer id. A request's latency runs from the time it was due, not
 * from when it left, so a generator or a server that falls behind shows in the figures (no coordinated omission).
 *
 * @param swarmIds swarm {@code i} of the schedule as 40 hex digits
 * @param phase    put in every peer id, so that each phase's hosts are new peers
 */
record AnnounceLoad(HttpClient http, List<URI> replicas, HostTokens tokens, List<String> swarmIds, int phase,
                    Duration timeout) {

    /**
     * What one run did beside its {@link LoadStats}.
     *
     * @param sent        requests sent
     * @param seconds     from the first announce due to the last answer or failure
     * @param maxLateMs   the most a request left after it was due (the generator's own lag)
     * @param unfinished  requests with neither answer nor failure when the run gave up waiting
     */
    record Run(int sent, double seconds, double maxLateMs, long unfinished) {
    }

    /** The peer id of {@code host} in this phase: 40 hex digits. */
    String peerId(int host) {
        return HexFormat.of().toHexDigits(phase) + "0".repeat(24) + HexFormat.of().toHexDigits(host);
    }

    /** The address {@code host} names (10.x.y.z, distinct per host; the tracker keeps it from a trusted network). */
    static String address(int host) {
        int h = host + 1;
        return "10." + (h >>> 16 & 255) + '.' + (h >>> 8 & 255) + '.' + (h & 255);
    }

    /** The JSON body of an announce. */
    String body(AnnounceSchedule.Planned p, int numWant) {
        return "{\"swarmId\":\"" + swarmIds.get(p.swarm()) + "\",\"peerId\":\"" + peerId(p.host())
                + "\",\"host\":\"" + address(p.host()) + "\",\"port\":6881,\"left\":" + p.left()
                + ",\"uploaded\":0,\"downloaded\":" + (AnnounceSchedule.IMAGE_BYTES - p.left())
                + ",\"event\":\"" + p.event().wire() + "\",\"numWant\":" + numWant + "}";
    }

    HttpRequest request(AnnounceSchedule.Planned p, URI replica, int numWant) {
        return HttpRequest.newBuilder(replica.resolve("/api/v1/announce"))
                .timeout(timeout)
                .header("Authorization", tokens.bearer(p.host()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(p, numWant))).build();
    }

    /** Sends {@code plan} from now, records into {@code stats}, and returns once every request is done. */
    Run run(List<AnnounceSchedule.Planned> plan, LoadStats stats) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(plan.size());
        AtomicLong lastDone = new AtomicLong();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        long maxLate = 0;
        for (AnnounceSchedule.Planned p : plan) {
            long due = start + p.atNanos();
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            maxLate = Math.max(maxLate, System.nanoTime() - due);
            http.sendAsync(request(p, replicas.get(p.host() % replicas.size()), 50), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> {
                        long now = System.nanoTime();
                        if (error != null) {
                            stats.failed(LoadStats.kind(error));
                        } else {
                            stats.completed(response.statusCode(), now - due);
                        }
                        lastDone.accumulateAndGet(now, Math::max);
                        done.countDown();
                    });
        }
        done.await(timeout.toSeconds() + 30, TimeUnit.SECONDS);
        return new Run(plan.size(), (lastDone.get() - start) / 1e9, maxLate / 1e6, done.getCount());
    }
}
