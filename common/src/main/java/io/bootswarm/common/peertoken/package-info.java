/**
 * Peer access tokens: the tracker issues them, the seed and the agents verify them on the peer wire.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.peertoken;

import org.jspecify.annotations.NullMarked;
