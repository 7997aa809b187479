package io.bootswarm.agent.nbd;

/**
 * A snapshot of an {@link NbdServer}'s counters since it was created.
 *
 * @param connectionsAccepted connections accepted (TCP and Unix)
 * @param connectionsActive   connections open now
 * @param connectionsRejected connections closed at once because {@code maxConnections} was reached
 * @param readRequests        NBD_CMD_READ requests received
 * @param writeRequests       NBD_CMD_WRITE requests received
 * @param flushRequests       NBD_CMD_FLUSH requests received
 * @param trimRequests        NBD_CMD_TRIM requests received
 * @param writeZeroesRequests NBD_CMD_WRITE_ZEROES requests received
 * @param discRequests        NBD_CMD_DISC requests received
 * @param otherRequests       requests of any other type (answered with EINVAL)
 * @param bytesRead           payload bytes sent to clients by successful reads
 * @param bytesWritten        payload bytes written to devices by successful writes
 * @param zeroCopyReads       reads answered straight from {@link FileRegions} with sendfile
 * @param errorReplies        requests answered with a non-zero error
 * @param ioErrors            of those, failures of the device (EIO/ENOSPC from an exception)
 * @param protocolViolations  connections dropped for breaking the protocol (bad magic, flags...)
 * @param tlsHandshakes       TLS handshakes completed after {@code NBD_OPT_STARTTLS}
 * @param tlsHandshakesFailed TLS handshakes that failed (untrusted certificate, no client certificate...)
 */
public record NbdStats(
        long connectionsAccepted,
        int connectionsActive,
        long connectionsRejected,
        long readRequests,
        long writeRequests,
        long flushRequests,
        long trimRequests,
        long writeZeroesRequests,
        long discRequests,
        long otherRequests,
        long bytesRead,
        long bytesWritten,
        long zeroCopyReads,
        long errorReplies,
        long ioErrors,
        long protocolViolations,
        long tlsHandshakes,
        long tlsHandshakesFailed) {
}
