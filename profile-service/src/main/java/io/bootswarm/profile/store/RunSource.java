package io.bootswarm.profile.store;

/** Where a run's trace came from. */
public enum RunSource {
    /** An agent sent it over Kafka when its launch ended. */
    KAFKA,
    /** An admin uploaded it as CSV. */
    UPLOAD
}
