package io.bootswarm.seed.catalog;

import io.bootswarm.common.web.ProblemException;

import java.util.regex.Pattern;

/**
 * The rule for image names: 1 to 128 characters of lower-case letters, digits, {@code .}, {@code _}
 * and {@code -}, starting with a letter or digit. Names are unique in the catalog and become the
 * {@code name} of the image's BitTorrent info dictionary.
 */
public final class ImageName {

    /** The pattern a name must match as a whole. */
    public static final String PATTERN = "[a-z0-9][a-z0-9._-]{0,127}";

    private static final Pattern COMPILED = Pattern.compile(PATTERN);

    private ImageName() {
    }

    /** True when {@code name} is a valid image name. */
    public static boolean isValid(String name) {
        return name != null && COMPILED.matcher(name).matches();
    }

    /**
     * Returns {@code name} if it is valid.
     *
     * @throws ProblemException 400 {@code bad-image-name} otherwise
     */
    public static String check(String name) {
        if (name == null || name.isEmpty()) {
            throw ProblemException.badRequest("bad-image-name", "an image name is required");
        }
        if (!isValid(name)) {
            String shown = name.length() > 140 ? name.substring(0, 140) + "…" : name;
            throw ProblemException.badRequest("bad-image-name", "image name '" + shown + "' must match "
                    + PATTERN + " (1 to 128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit)")
                    .with("name", shown);
        }
        return name;
    }
}
