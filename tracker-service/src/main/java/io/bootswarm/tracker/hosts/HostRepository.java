package io.bootswarm.tracker.hosts;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

interface HostRepository extends JpaRepository<HostEntity, String> {

    /**
     * Inserts the host or updates its addresses; either way it counts as a heartbeat. The first
     * registration time is kept. One statement, so concurrent registrations cannot collide.
     */
    @Modifying(flushAutomatically = true, clearAutomatically = true)
    @Query(value = """
            insert into hosts (name, api_url, peer_host, peer_port, registered_at, last_heartbeat)
            values (:name, :apiUrl, :peerHost, :peerPort, :now, :now)
            on conflict (name) do update set api_url = excluded.api_url, peer_host = excluded.peer_host,
                peer_port = excluded.peer_port, last_heartbeat = excluded.last_heartbeat
            """, nativeQuery = true)
    void upsert(@Param("name") String name, @Param("apiUrl") String apiUrl, @Param("peerHost") String peerHost,
                @Param("peerPort") int peerPort, @Param("now") Instant now);

    @Modifying(flushAutomatically = true, clearAutomatically = true)
    @Query("update HostEntity h set h.lastHeartbeat = :now where h.name = :name")
    int heartbeat(@Param("name") String name, @Param("now") Instant now);

    /** Name and last heartbeat of every host, without loading whole rows. */
    @Query("select h.name, h.lastHeartbeat from HostEntity h")
    List<Object[]> liveness();

    List<HostEntity> findByNameIn(Collection<String> names);

    List<HostEntity> findAllByOrderByNameAsc();
}
