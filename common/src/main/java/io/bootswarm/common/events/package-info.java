/**
 * The events services publish on Kafka (records, one codec) and the topics they go to.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.events;

import org.jspecify.annotations.NullMarked;
