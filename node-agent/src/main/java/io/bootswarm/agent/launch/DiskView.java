package io.bootswarm.agent.launch;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A disk as the local API shows it: where the hypervisor finds it, how it streams, and how far its
 * image has arrived on this host. Piece and byte counts are the host's for the image (disks of one
 * image share them); demand figures are this disk's.
 *
 * @param exportName          the NBD export name
 * @param nbdUri              {@code nbd://host:port/export}, {@code nbds://} when the export requires TLS
 * @param nbdUnixUri          {@code nbd+unix:///export?socket=path}, or null without a Unix socket
 * @param filePath            the disk as a file under the FUSE mount, or null when FUSE is off
 * @param options             workload, piece selection policy, window, background fill
 * @param profileRuns         runs in the access profile being prefetched from, or null without a profile
 * @param piecesPresent       non-zero pieces of the image on this host
 * @param piecesTotal         non-zero pieces in the image (zero pieces are never fetched)
 * @param piecesFetched       pieces this agent process fetched for the image (since it started)
 * @param piecesFromSeed      of those, pieces that came from a seed (the rest from other agents)
 * @param piecesByPeer        of those, pieces per source peer ({@code address:port} as dialled or accepted)
 * @param bytesFetched        bytes this agent process fetched for the image
 * @param demandMisses        reads of this disk that had to wait for a missing piece
 * @param demandWaitP50Millis median wait of those reads
 * @param demandWaitP99Millis 99th percentile wait of those reads
 * @param prefetched          pieces this disk's prefetcher fetched
 * @param readsRecorded       reads in this disk's access trace so far
 * @param bannedPeers         peers banned from the image's swarm for sending bytes that failed verification
 * @param writtenBytes        bytes the guest has written (in 4 KiB clusters) to its copy-on-write overlay
 */
public record DiskView(UUID id, UUID imageId, String imageName, UUID launchId, long size, String exportName,
                       String nbdUri, String nbdUnixUri, String filePath, DiskOptionsBody options, Integer profileRuns,
                       int piecesPresent, int piecesTotal, long piecesFetched, long piecesFromSeed,
                       Map<String, Long> piecesByPeer, long bytesFetched,
                       int demandMisses, double demandWaitP50Millis, double demandWaitP99Millis, long prefetched,
                       int readsRecorded, long verificationFailures, List<String> bannedPeers, long writtenBytes,
                       Instant createdAt) {
}
