/**
 * Hosts written into URIs as RFC 3986 wants them (IPv6 addresses in brackets).
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.net;

import org.jspecify.annotations.NullMarked;
