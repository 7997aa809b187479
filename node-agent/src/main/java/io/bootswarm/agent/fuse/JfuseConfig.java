package io.bootswarm.agent.fuse;

import org.cryptomator.jfuse.api.FuseConfig;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/**
 * Sets {@code fuse_config.direct_io}, which jfuse 0.7 only lets a file system read: libfuse 3
 * dropped the {@code -o direct_io} option, and the file system is to set it in its {@code init}
 * callback instead (libfuse/libfuse#419). jfuse's Linux {@code FuseConfig} is a record over the
 * native struct, and its jextract bindings have the setter; both are reached reflectively (the jars
 * are on the class path, so nothing is encapsulated). {@code direct_io} has kept its offset in
 * {@code struct fuse_config} since libfuse 3.0.
 */
final class JfuseConfig {

    private JfuseConfig() {
    }

    /**
     * Turns {@code direct_io} on for every file; true if it is on afterwards.
     *
     * @throws ReflectiveOperationException if this jfuse's classes are not as expected
     */
    static boolean enableDirectIo(FuseConfig cfg) throws ReflectiveOperationException {
        if (cfg == null) {
            return false;
        }
        if (cfg.directIo() != 0) {
            return true;
        }
        Class<?> impl = cfg.getClass();
        MemorySegment struct = null;
        if (impl.isRecord()) {
            for (RecordComponent c : impl.getRecordComponents()) {
                if (c.getType() == MemorySegment.class) {
                    Method accessor = c.getAccessor();
                    accessor.setAccessible(true);
                    struct = (MemorySegment) accessor.invoke(cfg);
                }
            }
        }
        if (struct == null) {
            throw new NoSuchFieldException(impl.getName() + " has no MemorySegment component");
        }
        Class<?> binding = Class.forName(impl.getPackageName() + ".extr.fuse3.fuse_config", true, impl.getClassLoader());
        binding.getMethod("direct_io", MemorySegment.class, int.class).invoke(null, struct, 1);
        return cfg.directIo() != 0;
    }
}
