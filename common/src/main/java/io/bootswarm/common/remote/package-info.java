/**
 * The services' calls to each other, through retry, circuit breaker and time limiter.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.remote;

import org.jspecify.annotations.NullMarked;
