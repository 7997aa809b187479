/**
 * The BitTorrent peer wire (BEP 3, BEP 10): codec, the upload server, its choking and rate limits.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.wire;

import org.jspecify.annotations.NullMarked;
