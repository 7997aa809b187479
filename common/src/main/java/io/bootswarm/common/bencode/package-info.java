/**
 * Bencoding (BEP 3): the format of torrent metainfo, tracker answers and BEP 10 extended handshakes.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.bencode;

import org.jspecify.annotations.NullMarked;
