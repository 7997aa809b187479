/**
 * Image manifests: pieces and their hashes, signatures, swarm ids and BitTorrent metainfo.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.manifest;

import org.jspecify.annotations.NullMarked;
