package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.PreheatStatus;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /api/v1/preheats}: a rejected request answers its problem and writes nothing; an accepted one stores a
 * row per host and queues a START per host; agents' reports move the hosts' progress, newest first; cancelling
 * queues a CANCEL per host not ended, once.
 */
class PreheatApiIT extends TrackerITSupport {

    @Autowired
    PreheatService preheats;

    private String up;
    private UUID image;
    private Map<String, Long> before;

    @BeforeEach
    void hostAndImage() {
        up = hostName("pup");
        registerHost(up);
        image = SEED.addImage("preheatable", 1 << 20);
        before = rows();
    }

    private Map<String, Long> rows() {
        return Map.of("preheats", count("preheats"), "preheat_hosts", count("preheat_hosts"), "outbox",
                count("outbox"));
    }

    private Response preheat(String json) {
        return post("/api/v1/preheats", json);
    }

    private long commands(UUID preheatId, String action) {
        return jdbc.queryForObject("select count(*) from tracker.outbox where payload like ? and payload like ?",
                Long.class, "%\"type\":\"preheat-command.v1\"%\"preheatId\":\"" + preheatId + "\"%",
                "%\"action\":\"" + action + "\"%");
    }

    @Test
    void badScopeOrWorkloadIsABadRequestAndWritesNothing() {
        Response scope = preheat("""
                {"imageId": "%s", "hosts": ["%s"], "scope": "everything"}""".formatted(image, up));
        assertProblem(scope, 400, "invalid-scope");
        assertThat(scope.<String>json("$.scope")).isEqualTo("everything");
        assertProblem(preheat("""
                {"imageId": "%s", "hosts": ["%s"], "workload": "Not A Name"}""".formatted(image, up)), 400,
                "invalid-workload");
        assertProblem(preheat("""
                {"imageId": "%s", "hosts": ["%s", "%s"]}""".formatted(image, up, up)), 400, "duplicate-hosts");
        assertProblem(preheat("""
                {"imageId": "%s", "hosts": []}""".formatted(image)), 400, "invalid-request");
        assertProblem(preheat("{\"imageId\": \"%s\", \"hosts\": [".formatted(image)), 400, "malformed-body");
        assertThat(rows()).isEqualTo(before);
    }

    @Test
    void unknownImageOrHostIsNotFoundAndWritesNothing() {
        UUID missing = UUID.randomUUID();
        Response noImage = preheat("""
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(missing, up));
        assertProblem(noImage, 404, "unknown-image");
        assertThat(noImage.<String>json("$.imageId")).isEqualTo(missing.toString());
        String ghost = hostName("ghost");
        Response noHost = preheat("""
                {"imageId": "%s", "hosts": ["%s", "%s"]}""".formatted(image, up, ghost));
        assertProblem(noHost, 404, "unknown-host");
        assertThat(noHost.<List<String>>json("$.hosts")).containsExactly(ghost);
        assertProblem(get("/api/v1/preheats/" + UUID.randomUUID()), 404, "unknown-preheat");
        assertProblem(delete("/api/v1/preheats/" + UUID.randomUUID()), 404, "unknown-preheat");
        assertThat(rows()).isEqualTo(before);
    }

    @Test
    void aPreheatQueuesItsCommandsShowsReportedProgressAndIsCancelledOnce() {
        String other = hostName("pother");
        registerHost(other);
        Response created = preheat("""
                {"imageId": "%s", "hosts": ["%s", "%s"], "workload": "boot", "scope": "ALL"}"""
                .formatted(image, up, other));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        UUID id = uuid(created.json("$.id"));
        assertThat(created.header("Location")).endsWith("/api/v1/preheats/" + id);
        assertThat(created.<String>json("$.scope")).isEqualTo("ALL");
        assertThat(created.<String>json("$.workload")).isEqualTo("boot");
        assertThat(created.<List<String>>json("$.hosts[*].state")).containsExactly("PENDING", "PENDING");
        assertThat(commands(id, "START")).isEqualTo(2);

        preheats.applyStatus(status(id, up, PreheatStatus.State.RUNNING, 10, 3, 8));
        preheats.applyStatus(status(id, up, PreheatStatus.State.RUNNING, 9, 1, 8)); // late: ignored
        preheats.applyStatus(status(id, other, PreheatStatus.State.DONE, 10, 8, 8));
        preheats.applyStatus(status(id, other, PreheatStatus.State.RUNNING, 11, 9, 8)); // impossible: dropped
        preheats.applyStatus(status(id, hostName("stranger"), PreheatStatus.State.DONE, 10, 8, 8));
        Response running = get("/api/v1/preheats/" + id);
        assertThat(running.<List<String>>json("$.hosts[*].state")).containsExactly("RUNNING", "DONE");
        assertThat(running.<List<Integer>>json("$.hosts[*].piecesDone")).containsExactly(3, 8);
        assertThat(running.<List<Integer>>json("$.hosts[*].piecesTotal")).containsExactly(8, 8);
        assertThat(get("/api/v1/preheats?imageId=" + image).<List<String>>json("$.items[*].id"))
                .containsExactly(id.toString());

        Response cancel = delete("/api/v1/preheats/" + id);
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);
        assertThat(cancel.<String>json("$.cancelRequestedAt")).isNotNull();
        assertThat(commands(id, "CANCEL")).as("only the host not done is asked").isEqualTo(1);
        assertThat(delete("/api/v1/preheats/" + id).status()).isEqualTo(202);
        assertThat(commands(id, "CANCEL")).as("asking again sends nothing more").isEqualTo(1);

        preheats.applyStatus(status(id, up, PreheatStatus.State.CANCELLED, 12, 4, 8));
        assertThat(get("/api/v1/preheats/" + id).<List<String>>json("$.hosts[*].state"))
                .containsExactly("CANCELLED", "DONE");
    }

    private static PreheatStatus status(UUID id, String host, PreheatStatus.State state, long sequence, int done,
                                        int total) {
        return new PreheatStatus(UUID.randomUUID(), Instant.now(), id, host, state, sequence, done, total,
                (long) done * 262144, null);
    }
}
