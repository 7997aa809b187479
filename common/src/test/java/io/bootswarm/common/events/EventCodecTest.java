package io.bootswarm.common.events;

import io.bootswarm.common.launch.LaunchOptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class EventCodecTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Instant AT = Instant.parse("2025-03-01T12:34:56.789123Z");
    private static final UUID IMAGE = UUID.fromString("11111111-2222-3333-4444-555555555555");
    private static final UUID LAUNCH = UUID.fromString("99999999-8888-7777-6666-555555555555");
    private static final UUID PLAN = UUID.fromString("0a0b0c0d-1111-2222-3333-444444444444");
    private static final String SWARM = "0123456789abcdef0123456789abcdef01234567";
    private static final String GROUP = "ffeeddccbbaa99887766554433221100";

    private static List<BootswarmEvent> samples() {
        return List.of(
                new ImageRegistered(UUID.randomUUID(), AT, IMAGE, "debian-12.raw", 4L << 30, 262144, 16384, 13600,
                        "0123456789abcdef0123456789abcdef01234567"),
                new ImageDeleted(UUID.randomUUID(), AT, IMAGE, "debian-12.raw"),
                new LaunchCommand(UUID.randomUUID(), AT, LAUNCH, "host-7", IMAGE, LaunchCommand.Action.START),
                new LaunchCommand(UUID.randomUUID(), AT, LAUNCH, "host-7", IMAGE, LaunchCommand.Action.STOP),
                new LaunchCommand(UUID.randomUUID(), AT, LAUNCH, "host-7", IMAGE, LaunchCommand.Action.START,
                        new LaunchCommand.Options("boot", LaunchOptions.Policy.PROFILE, 8, true)),
                new LaunchStatus(UUID.randomUUID(), AT, LAUNCH, "host-7", LaunchStatus.State.READY, 42,
                        "nbd://host-7:10809/debian", "nbd+unix:///debian?socket=/run/bs.sock", 2784, 2784,
                        730_000_000L, null),
                new LaunchStatus(UUID.randomUUID(), AT, LAUNCH, "host-7", LaunchStatus.State.FAILED, 43,
                        null, null, 0, 2784, 0, "no space left on device: ünïcödé \"quoted\""),
                new SwarmReport(UUID.randomUUID(), AT, "host-7", 12_500_000L, List.of(
                        new SwarmReport.Entry(SWARM, IMAGE, null, 730_000_000L, 0.75),
                        new SwarmReport.Entry(SWARM, IMAGE, GROUP, 530_000_000L, 0.5),
                        new SwarmReport.Entry(SWARM, IMAGE, "00112233445566778899aabbccddeeff", 200_000_000L, 0.25))),
                new AllocationPlan(UUID.randomUUID(), AT, PLAN, "CROSS_OPT", 640_000_000L,
                        AT.plusSeconds(15), 41.25, 37, -1.1920928955078125E-7, 0.0042, List.of(
                        AllocationPlan.Rate.ofGroup(GROUP, 480_000_000.5),
                        AllocationPlan.Rate.ofGroup("00112233445566778899aabbccddeeff", 160_000_000.0),
                        AllocationPlan.Rate.ofImage(IMAGE, 0))),
                new PreheatCommand(UUID.randomUUID(), AT, LAUNCH, "host-7", IMAGE, PreheatCommand.Action.START,
                        "boot", PreheatCommand.Scope.PROFILE),
                new PreheatCommand(UUID.randomUUID(), AT, LAUNCH, "host-7", IMAGE, PreheatCommand.Action.CANCEL,
                        null, null),
                new PreheatStatus(UUID.randomUUID(), AT, LAUNCH, "host-7", PreheatStatus.State.DONE, 44, 120, 120,
                        31_457_280L, null));
    }

    @Test
    void everyEventTypeRoundTripsWithItsVersionedTypeName() {
        for (BootswarmEvent e : samples()) {
            String json = EventCodec.encode(e);
            String expectedType = switch (e) {
                case ImageRegistered r -> "image-registered.v1";
                case ImageDeleted d -> "image-deleted.v1";
                case LaunchCommand c -> "launch-command.v1";
                case LaunchStatus s -> "launch-status.v1";
                case AccessTrace t -> "access-trace.v1";
                case SwarmReport r -> "swarm-report.v1";
                case AllocationPlan p -> "allocation-plan.v1";
                case PreheatCommand c -> "preheat-command.v1";
                case PreheatStatus s -> "preheat-status.v1";
            };
            assertThat(json).contains("\"type\":\"" + expectedType + "\"");
            JsonNode tree = JSON.readTree(json);
            assertThat(tree.get("type").asString()).isEqualTo(expectedType);
            assertThat(tree.get("eventId").asString()).isEqualTo(e.eventId().toString());
            // the timestamp is ISO-8601 text, not a number, and keeps its precision
            assertThat(tree.get("at").isString()).as(json).isTrue();
            assertThat(Instant.parse(tree.get("at").asString())).isEqualTo(AT);
            assertThat(EventCodec.decode(json)).contains(e);
        }
    }

    @Test
    void accessTracesRoundTripWithTheirReads() {
        UUID trace = UUID.randomUUID();
        AccessTrace t = new AccessTrace(UUID.randomUUID(), AT, trace, LAUNCH, "host-7", IMAGE, "boot", 262144, 2,
                true, new long[]{0, 0, 512, 127_283, 4096, 4096, 15_391_641, 1L << 32, 65536});
        String json = EventCodec.encode(t);
        assertThat(json).contains("\"type\":\"access-trace.v1\"");
        AccessTrace back = (AccessTrace) EventCodec.decode(json).orElseThrow();
        assertThat(back.reads()).containsExactly(t.reads());
        assertThat(back.readCount()).isEqualTo(3);
        assertThat(back.key()).isEqualTo(trace.toString());
        assertThat(back.last()).isTrue();
        assertThat(back.chunk()).isEqualTo(2);
    }

    @Test
    void swarmReportsKeepTheirEntriesAndAreKeyedByHost() {
        SwarmReport r = (SwarmReport) samples().get(7);
        String json = EventCodec.encode(r);
        JsonNode tree = JSON.readTree(json);
        assertThat(tree.get("uploadCapacity").asLong()).isEqualTo(12_500_000L);
        JsonNode image = tree.get("swarms").get(0);
        assertThat(image.get("swarmId").asString()).isEqualTo(SWARM);
        assertThat(image.get("imageId").asString()).isEqualTo(IMAGE.toString());
        assertThat(image.get("groupId").isNull()).isTrue();
        assertThat(image.get("missingBytes").asLong()).isEqualTo(730_000_000L);
        assertThat(image.get("uploadShare").asDouble()).isEqualTo(0.75);
        SwarmReport back = (SwarmReport) EventCodec.decode(json).orElseThrow();
        assertThat(back.key()).isEqualTo("host-7");
        assertThat(back.swarms()).extracting(SwarmReport.Entry::imageLevel).containsExactly(true, false, false);
        assertThat(back.swarms().get(1).groupId()).isEqualTo(GROUP);
        // a report without entries (a host in no swarm) decodes to an empty list, not null
        ObjectNode empty = (ObjectNode) tree;
        empty.remove("swarms");
        assertThat(((SwarmReport) EventCodec.decode(JSON.writeValueAsString(empty)).orElseThrow()).swarms()).isEmpty();
    }

    @Test
    void allocationPlansShareOneKeyAndCarryUnboundedTimes() {
        AllocationPlan p = (AllocationPlan) samples().get(8);
        assertThat(p.key()).isEqualTo(AllocationPlan.KEY);
        JsonNode tree = JSON.readTree(EventCodec.encode(p));
        assertThat(tree.get("planId").asString()).isEqualTo(PLAN.toString());
        assertThat(tree.get("strategy").asString()).isEqualTo("CROSS_OPT");
        assertThat(tree.get("rates").get(0).get("groupId").asString()).isEqualTo(GROUP);
        assertThat(tree.get("rates").get(0).get("bytesPerSecond").asDouble()).isEqualTo(480_000_000.5);
        assertThat(tree.get("rates").get(2).get("imageId").asString()).isEqualTo(IMAGE.toString());
        assertThat(Instant.parse(tree.get("validUntil").asString())).isEqualTo(AT.plusSeconds(15));
        // a starved swarm makes M infinite: it survives the JSON round trip
        AllocationPlan starved = new AllocationPlan(UUID.randomUUID(), AT, PLAN, "ISO", 0, AT, Double.POSITIVE_INFINITY,
                0, 0, 1, List.of());
        AllocationPlan back = (AllocationPlan) EventCodec.decode(EventCodec.encode(starved)).orElseThrow();
        assertThat(back.maxRemainingSeconds()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(back).isEqualTo(starved);
    }

    @Test
    void aLaunchCommandWithoutOptionsTakesTheDefaults() {
        LaunchCommand c = (LaunchCommand) EventCodec.decode(EventCodec.encode(samples().get(2))).orElseThrow();
        assertThat(c.options()).isNull();
        assertThat(c.resolvedOptions()).isEqualTo(new LaunchOptions("default", LaunchOptions.Policy.PROFILE,
                LaunchOptions.DEFAULT_WINDOW, false));
    }

    @Test
    void keysKeepRelatedEventsInOrder() {
        List<BootswarmEvent> s = samples();
        assertThat(s.get(0).key()).isEqualTo(IMAGE.toString());
        assertThat(s.get(1).key()).isEqualTo(IMAGE.toString());
        assertThat(s.get(2).key()).isEqualTo("host-7");
        assertThat(s.get(5).key()).isEqualTo(LAUNCH.toString());
    }

    @Test
    void unknownTypesAndMalformedJsonDecodeToEmpty() {
        String good = EventCodec.encode(samples().get(1));
        assertThat(EventCodec.decode(good.replace("image-deleted.v1", "image-deleted.v2"))).isEmpty();
        assertThat(EventCodec.decode(good.replace("image-deleted.v1", "something-else.v1"))).isEmpty();
        assertThat(EventCodec.decode(good.replace("\"type\":\"image-deleted.v1\",", ""))).isEmpty();
        assertThat(EventCodec.decode(good.substring(0, good.length() - 1))).isEmpty();
        assertThat(EventCodec.decode("{")).isEmpty();
        assertThat(EventCodec.decode("")).isEmpty();
        assertThat(EventCodec.decode("null")).isEmpty();
        assertThat(EventCodec.decode("[]")).isEmpty();
        assertThat(EventCodec.decode("42")).isEmpty();
        assertThat(EventCodec.decode("not json at all")).isEmpty();
        assertThat(EventCodec.decode("{\"type\":\"image-deleted.v1\",\"eventId\":\"not-a-uuid\"}")).isEmpty();
        assertThat(EventCodec.decode(good + "garbage")).isEmpty();
    }

    @Test
    void eventsWithoutTheirCommonFieldsDecodeToEmpty() {
        String good = EventCodec.encode(samples().get(0));
        assertThat(EventCodec.decode(good)).isPresent();
        assertThat(EventCodec.decode("{\"type\":\"image-deleted.v1\"}")).isEmpty();
        ObjectNode noId = (ObjectNode) JSON.readTree(good);
        noId.remove("eventId");
        assertThat(EventCodec.decode(JSON.writeValueAsString(noId))).isEmpty();
        ObjectNode noAt = (ObjectNode) JSON.readTree(good);
        noAt.remove("at");
        assertThat(EventCodec.decode(JSON.writeValueAsString(noAt))).isEmpty();
        ObjectNode noKey = (ObjectNode) JSON.readTree(good);
        noKey.remove("imageId");
        assertThat(EventCodec.decode(JSON.writeValueAsString(noKey))).isEmpty();
    }

    @Test
    void nullPayloadDecodesToEmpty() {
        // a Kafka tombstone has a null value
        assertThat(EventCodec.decode(null)).isEmpty();
    }

    @Test
    void unknownFieldsAreTolerated() {
        BootswarmEvent e = samples().get(4);
        ObjectNode tree = (ObjectNode) JSON.readTree(EventCodec.encode(e));
        tree.put("addedInV1_1", "whatever");
        tree.putObject("nested").put("x", 1).putArray("list").add(1).add("two");
        // a field placed before the type id too
        ObjectNode reordered = JSON.createObjectNode();
        reordered.put("zzFirst", true);
        reordered.setAll(tree);
        Optional<BootswarmEvent> back = EventCodec.decode(JSON.writeValueAsString(reordered));
        assertThat(back).contains(e);
    }
}
