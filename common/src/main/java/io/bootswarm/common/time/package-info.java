/**
 * The data plane's time source: classes read time from an injected java.time.InstantSource.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.time;

import org.jspecify.annotations.NullMarked;
