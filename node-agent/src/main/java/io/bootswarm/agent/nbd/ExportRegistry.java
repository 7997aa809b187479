package io.bootswarm.agent.nbd;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A mutable, thread-safe {@link ExportLookup}: add an export when a disk is ready, remove it when
 * the disk is torn down (then call {@link NbdServer#disconnect(String)} to end sessions still
 * using it). Names are listed in sorted order.
 */
public final class ExportRegistry implements ExportLookup {

    private final ConcurrentSkipListMap<String, BlockDevice> exports = new ConcurrentSkipListMap<>();

    /**
     * Adds or replaces an export.
     *
     * @param name non-empty, at most 4096 bytes of UTF-8, no NUL (the protocol's rule for strings,
     *             proto.md "Conventions"); the empty name is reserved for the default export
     * @return the device previously registered under that name, if any
     */
    public Optional<BlockDevice> put(String name, BlockDevice device) {
        validateName(name);
        Objects.requireNonNull(device, "device");
        return Optional.ofNullable(exports.put(name, device));
    }

    /** Removes an export; sessions already using it are not ended (see {@link NbdServer#disconnect}). */
    public Optional<BlockDevice> remove(String name) {
        return Optional.ofNullable(exports.remove(name));
    }

    @Override
    public Optional<BlockDevice> find(String name) {
        return Optional.ofNullable(exports.get(name));
    }

    @Override
    public Collection<String> names() {
        return List.copyOf(exports.keySet());
    }

    static void validateName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("export name must not be empty (reserved for the default export)");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("export name must not contain NUL");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > NbdProtocol.MAX_STRING_LENGTH) {
            throw new IllegalArgumentException("export name longer than " + NbdProtocol.MAX_STRING_LENGTH + " bytes");
        }
    }
}
