/**
 * JPA entities whose ids the services assign themselves.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.jpa;

import org.jspecify.annotations.NullMarked;
