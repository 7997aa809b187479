package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.SwarmId;

import java.util.Optional;

/** Finds the swarm a connecting peer names in its handshake. */
@FunctionalInterface
public interface SwarmDirectory {
    Optional<ServedSwarm> find(SwarmId swarmId);
}
