package io.bootswarm.agent.launch;

import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;

import java.io.IOException;
import java.util.Optional;

/**
 * Carries out the tracker's launch commands for this host. Commands for other hosts are skipped.
 * START is idempotent (the launch's disk is reused and READY reported again), STOP of an unknown
 * launch just reports STOPPED, so a redelivered command does no harm. The offset is committed
 * after the command is carried out and its status handed to Kafka, so a crash mid-way replays it.
 */
public final class LaunchCommandListener {

    private static final Logger log = LoggerFactory.getLogger(LaunchCommandListener.class);

    private final Disks disks;
    private final LaunchReporter reporter;
    private final String host;

    public LaunchCommandListener(Disks disks, LaunchReporter reporter, String host) {
        this.disks = disks;
        this.reporter = reporter;
        this.host = host;
    }

    /** Each host reads every command in its own consumer group. */
    public String getGroupId() {
        return "node-agent-" + host;
    }

    @KafkaListener(topics = Topics.LAUNCH_COMMANDS, groupId = "#{__listener.groupId}")
    public void on(ConsumerRecord<String, String> record) {
        Optional<BootswarmEvent> event = EventCodec.decode(record.value());
        if (event.isEmpty() || !(event.get() instanceof LaunchCommand command)) {
            log.warn("skipping undecodable launch command at offset {}: {}", record.offset(), abbreviate(record.value()));
            return;
        }
        if (!host.equals(command.host())) {
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
            reporter.failed(c.launchId(), e.getMessage());
        }
    }

    private void stop(LaunchCommand c) {
        try {
            disks.delete(c.launchId());
        } catch (IOException e) {
            log.warn("could not delete the disk of launch {}: {}", c.launchId(), e.toString());
        }
        reporter.stopped(c.launchId());
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
