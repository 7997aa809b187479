package io.bootswarm.agent.launch;

import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.events.PreheatCommand;
import io.bootswarm.common.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Carries out the tracker's launch commands for this host. Commands for other hosts are skipped.
 * START is idempotent (the launch's disk is reused and READY reported again), STOP of an unknown
 * launch just reports STOPPED, so a redelivered command does no harm. The offset is committed
 * after the command is carried out and its status handed to Kafka, so a crash mid-way replays it.
 *
 * <p>A command this agent cannot carry out ends as FAILED at once, never as an exception: an exception
 * would be retried by the container and then skipped, leaving the launch PENDING on the tracker. A
 * command without an action or image is reported FAILED with {@code invalid launch command: no <field>};
 * one that does not decode but names this host and a launch id with {@code invalid launch command: undecodable};
 * one without a launch id cannot be reported (the tracker's launch deadline fails it) and is skipped.
 */
public final class LaunchCommandListener {

    private static final Logger log = LoggerFactory.getLogger(LaunchCommandListener.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Disks disks;
    private final LaunchReporter reporter;
    private final String host;
    private final Consumer<PreheatCommand> preheats;

    public LaunchCommandListener(Disks disks, LaunchReporter reporter, String host) {
        this(disks, reporter, host, c -> log.warn("no preheats on this agent; preheat {} skipped", c.preheatId()));
    }

    /** @param preheats carries out the {@link PreheatCommand}s for this host that share the topic */
    public LaunchCommandListener(Disks disks, LaunchReporter reporter, String host,
                                 Consumer<PreheatCommand> preheats) {
        this.disks = disks;
        this.reporter = reporter;
        this.host = host;
        this.preheats = preheats;
    }

    /** Each host reads every command in its own consumer group. */
    public String getGroupId() {
        return "node-agent-" + host;
    }

    @KafkaListener(topics = Topics.LAUNCH_COMMANDS, groupId = "#{__listener.groupId}")
    public void on(ConsumerRecord<String, String> record) {
        Optional<BootswarmEvent> event = EventCodec.decode(record.value());
        if (event.isPresent() && event.get() instanceof PreheatCommand preheat) {
            if (host.equals(preheat.host())) {
                preheats.accept(preheat);
            }
            return;
        }
        if (event.isEmpty() || !(event.get() instanceof LaunchCommand command)) {
            Optional<UUID> ours = launchOfUndecodableCommand(record.value());
            if (ours.isPresent()) {
                log.warn("launch {} failed on this host: undecodable command at offset {}: {}", ours.get(),
                        record.offset(), abbreviate(record.value()));
                reporter.failed(ours.get(), "invalid launch command: undecodable");
            } else {
                log.warn("skipping undecodable launch command at offset {}: {}", record.offset(),
                        abbreviate(record.value()));
            }
            return;
        }
        if (!host.equals(command.host())) {
            return;
        }
        if (command.launchId() == null) {
            log.warn("skipping launch command {} without a launch id at offset {}", command.eventId(), record.offset());
            return;
        }
        String missing = command.action() == null ? "action"
                : command.action() == LaunchCommand.Action.START && command.imageId() == null ? "imageId" : null;
        if (missing != null) {
            log.warn("launch {} failed on this host: its command {} has no {}", command.launchId(),
                    command.eventId(), missing);
            reporter.failed(command.launchId(), "invalid launch command: no " + missing);
            return;
        }
        switch (command.action()) {
            case START -> start(command);
            case STOP -> stop(command);
        }
    }

    private void start(LaunchCommand c) {
        try {
            Disks.OpenDisk d = disks.create(c.imageId(), c.launchId(), c.resolvedOptions());
            reporter.ready(d);
            log.info("launch {} ready on this host: image {}", c.launchId(), d.manifest().name());
        } catch (IOException | IllegalArgumentException e) {
            log.warn("launch {} failed on this host: {}", c.launchId(), e.getMessage());
            reporter.failed(c.launchId(), e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /**
     * Tears the launch's disk down and reports STOPPED. A stop the tracker sends on its own account carries a
     * reason (e.g. {@code image-deleted}): it is logged, so that whoever reads this host's log learns why its
     * disk went away, and reported back as the host's detail.
     */
    private void stop(LaunchCommand c) {
        if (c.reason() != null) {
            log.warn("launch {} stopped by the tracker: {} (image {}); its disk is removed from this host",
                    c.launchId(), c.reason(), c.imageId());
        }
        try {
            disks.delete(c.launchId());
        } catch (IOException e) {
            log.warn("could not delete the disk of launch {}: {}", c.launchId(), e.toString());
        }
        reporter.stopped(c.launchId(), c.reason());
    }

    /**
     * The launch id of a command that does not decode (a value this agent does not know, a field of the wrong
     * type) when it names this host and a launch id, so that the launch can be failed; otherwise empty.
     */
    private Optional<UUID> launchOfUndecodableCommand(String json) {
        if (json == null) {
            return Optional.empty();
        }
        try {
            JsonNode tree = JSON.readTree(json);
            if (tree == null || !tree.isObject() || !host.equals(tree.path("host").asString(null))) {
                return Optional.empty();
            }
            String launchId = tree.path("launchId").asString(null);
            return launchId == null ? Optional.empty() : Optional.of(UUID.fromString(launchId));
        } catch (JacksonException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
