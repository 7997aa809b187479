package io.bootswarm.seed.imports;

/** How an image came in. */
public enum ImportKind {
    /** Streamed in the body of {@code POST /api/v1/images}. */
    UPLOAD,
    /** Copied from a file under the seed's import directory. */
    PATH
}
