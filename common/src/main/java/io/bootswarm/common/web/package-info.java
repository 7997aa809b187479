/**
 * Errors as RFC 9457 problem details.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.web;

import org.jspecify.annotations.NullMarked;
