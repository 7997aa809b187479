package io.bootswarm.agent.nbd;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where {@link NbdServer} finds its exports. Exports come and go while the server runs (a disk is
 * created for a launch and torn down later), so the server asks at every negotiation rather than
 * holding a fixed list. Implementations must be thread-safe.
 *
 * <p>The server advertises {@code NBD_FLAG_CAN_MULTI_CONN}, which the protocol allows only when
 * the effects of a flush are visible across all connections to the export. It therefore relies on
 * {@link #find} returning the same {@link BlockDevice} (or devices sharing one cache and one
 * {@link BlockDevice#flush()}) every time it is asked for the same name.
 */
public interface ExportLookup {

    /** The export of that exact name, if there is one now. Never called with the empty name. */
    Optional<BlockDevice> find(String name);

    /**
     * The names of all exports now, as {@code NBD_OPT_LIST} reports them. When exactly one
     * exists it is also the default export (the one a client gets when it asks for the empty name).
     */
    Collection<String> names();

    /** A fixed set of exports (copied). */
    static ExportLookup of(Map<String, ? extends BlockDevice> exports) {
        Map<String, BlockDevice> copy = Map.copyOf(exports);
        List<String> names = copy.keySet().stream().sorted().toList();
        return new ExportLookup() {
            @Override
            public Optional<BlockDevice> find(String name) {
                return Optional.ofNullable(copy.get(name));
            }

            @Override
            public Collection<String> names() {
                return names;
            }
        };
    }
}
