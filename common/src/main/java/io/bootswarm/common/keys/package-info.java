/**
 * Ed25519 key files: the seed's manifest signing key and the tracker's peer token key.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.keys;

import org.jspecify.annotations.NullMarked;
