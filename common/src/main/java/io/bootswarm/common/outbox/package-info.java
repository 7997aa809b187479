/**
 * The transactional outbox: events written with the state change, sent to Kafka by a relay.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.outbox;

import org.jspecify.annotations.NullMarked;
