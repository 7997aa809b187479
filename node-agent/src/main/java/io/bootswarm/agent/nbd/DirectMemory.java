package io.bootswarm.agent.nbd;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;

/** How much direct memory (where NBD buffers live) this JVM may reserve. */
public final class DirectMemory {

    private DirectMemory() {
    }

    /**
     * {@code -XX:MaxDirectMemorySize} when set, else the maximum heap, which is HotSpot's default for
     * it; the maximum heap where the option cannot be read.
     */
    public static long limit() {
        try {
            long set = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize").getValue());
            return set > 0 ? set : Runtime.getRuntime().maxMemory();
        } catch (RuntimeException e) {
            return Runtime.getRuntime().maxMemory();
        }
    }
}
