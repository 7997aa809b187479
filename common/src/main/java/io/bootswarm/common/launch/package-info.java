/**
 * The launch options value the tracker and the agent work with; each boundary (Kafka, REST, disk.json)
 * has its own form mapped to it.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.launch;

import org.jspecify.annotations.NullMarked;
