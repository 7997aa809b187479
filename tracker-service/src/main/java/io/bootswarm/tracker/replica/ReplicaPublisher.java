package io.bootswarm.tracker.replica;

/** Where a replica publishes its changes of the shared swarm view ({@link ReplicaLog} in the service). */
public interface ReplicaPublisher {

    /** Publishes nothing: a replica alone. */
    ReplicaPublisher NONE = new ReplicaPublisher() {
        @Override
        public void put(String key, String value) {
        }

        @Override
        public void remove(String key) {
        }
    };

    /** Publishes the latest value of {@code key}. */
    void put(String key, String value);

    /** Publishes that {@code key} is gone (a tombstone). */
    void remove(String key);
}
