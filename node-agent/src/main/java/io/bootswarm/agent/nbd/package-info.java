/**
 * The node agent's NBD server: presents virtual disks ({@link io.bootswarm.agent.nbd.BlockDevice})
 * to hypervisors over the Network Block Device protocol, on TCP and on a Unix domain socket.
 *
 * <p>Public API: {@link io.bootswarm.agent.nbd.NbdServer} (constructed with
 * {@link io.bootswarm.agent.nbd.NbdServerSettings} and an {@link io.bootswarm.agent.nbd.ExportLookup},
 * for instance an {@link io.bootswarm.agent.nbd.ExportRegistry}), and its counters
 * {@link io.bootswarm.agent.nbd.NbdStats}; a device may implement
 * {@link io.bootswarm.agent.nbd.FileRegions} for zero-copy reads. Everything else is package-private.
 *
 * <p>The protocol reference is {@code doc/proto.md} of
 * <a href="https://github.com/NetworkBlockDevice/nbd">NetworkBlockDevice/nbd</a>; constants and
 * their sections are in {@code NbdProtocol}.
 */
package io.bootswarm.agent.nbd;
