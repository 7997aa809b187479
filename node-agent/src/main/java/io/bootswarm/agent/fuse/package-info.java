/**
 * The FUSE presentation: every disk of the agent as the file {@code <mount>/<disk id>/disk.img},
 * which a hypervisor opens like a local raw image ({@code qemu -drive file=...,format=raw}) while
 * its pieces are still arriving. {@link io.bootswarm.agent.fuse.FuseMount} is the mount,
 * {@link io.bootswarm.agent.fuse.FuseProperties} its settings ({@code bootswarm.agent.fuse.*}),
 * {@link io.bootswarm.agent.fuse.FuseConfiguration} wires it into the agent when enabled.
 * The data path is plain Java on libfuse's threads (cryptomator's jfuse over the FFM API), not Spring.
 */
package io.bootswarm.agent.fuse;
