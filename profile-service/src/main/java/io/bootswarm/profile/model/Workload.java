package io.bootswarm.profile.model;

import java.util.regex.Pattern;

/** Workload names: what a launch calls the work its VM does ({@code boot}, {@code web-bench-1.2}). */
public final class Workload {

    public static final String PATTERN = "[a-z0-9][a-z0-9._-]{0,63}";

    private static final Pattern COMPILED = Pattern.compile(PATTERN);

    private Workload() {
    }

    public static boolean isValid(String name) {
        return name != null && COMPILED.matcher(name).matches();
    }
}
