/**
 * Access profiles (which pieces a workload reads, in which order) as the services exchange them.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.profile;

import org.jspecify.annotations.NullMarked;
