package io.bootswarm.agent.fuse;

import io.bootswarm.agent.launch.Disks;
import io.bootswarm.agent.nbd.BlockDevice;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The disks the FUSE mount presents, looked up live at each directory listing and open, so that
 * disks may come and go while the file system is mounted. Implementations are called from several
 * FUSE threads at once and must be thread-safe.
 */
public interface DiskCatalog {

    /** The ids of the disks present now. */
    Collection<UUID> ids();

    /** The disk with this id, if present now. */
    Optional<BlockDevice> find(UUID id);

    /** The agent's disks. */
    static DiskCatalog of(Disks disks) {
        return new DiskCatalog() {
            @Override
            public Collection<UUID> ids() {
                return disks.list().stream().map(Disks.OpenDisk::id).toList();
            }

            @Override
            public Optional<BlockDevice> find(UUID id) {
                return disks.find(id).map(Disks.OpenDisk::disk);
            }
        };
    }

    /** A live view of {@code devices} (a concurrent map when it changes while mounted). */
    static DiskCatalog of(Map<UUID, ? extends BlockDevice> devices) {
        return new DiskCatalog() {
            @Override
            public Collection<UUID> ids() {
                return List.copyOf(devices.keySet());
            }

            @Override
            public Optional<BlockDevice> find(UUID id) {
                return Optional.ofNullable(devices.get(id));
            }
        };
    }
}
