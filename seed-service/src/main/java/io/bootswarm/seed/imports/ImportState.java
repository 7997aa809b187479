package io.bootswarm.seed.imports;

/** Where an import is. */
public enum ImportState {
    /** Reading, hashing and storing. */
    RUNNING,
    /** The image is in the catalog. */
    DONE,
    /** Nothing was catalogued; {@code error} says why. */
    FAILED
}
