package io.bootswarm.agent.launch;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A disk as the local API shows it: where the hypervisor finds it and how far its image has
 * arrived on this host.
 *
 * @param exportName    the NBD export name
 * @param nbdUri        {@code nbd://host:port/export}
 * @param nbdUnixUri    {@code nbd+unix:///export?socket=path}, or null without a Unix socket
 * @param piecesPresent non-zero pieces of the image on this host
 * @param piecesTotal   non-zero pieces in the image (zero pieces are never fetched)
 * @param piecesFetched pieces this agent process fetched for the image (since it started)
 * @param bytesFetched  bytes this agent process fetched for the image from peers and seed
 * @param bannedPeers   peers banned from the image's swarm for sending bytes that failed verification
 * @param writtenBytes  bytes the guest has written (in 4 KiB clusters) to its copy-on-write overlay
 */
public record DiskView(UUID id, UUID imageId, String imageName, UUID launchId, long size, String exportName,
                       String nbdUri, String nbdUnixUri, int piecesPresent, int piecesTotal, long piecesFetched, long bytesFetched,
                       long verificationFailures, List<String> bannedPeers, long writtenBytes,
                       Instant createdAt) {
}
