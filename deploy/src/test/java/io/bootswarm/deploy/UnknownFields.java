package io.bootswarm.deploy;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

/**
 * fabric8's model classes keep every field they do not know in {@code additionalProperties}, so a
 * misspelt or misplaced field parses silently (and the API server would drop or reject it). This
 * walks a parsed object graph and names the path of every non-empty {@code additionalProperties}.
 */
final class UnknownFields {

    private UnknownFields() {
    }

    static List<String> of(Object root) {
        List<String> found = new ArrayList<>();
        walk(root, root.getClass().getSimpleName(), found, Collections.newSetFromMap(new IdentityHashMap<>()));
        return found;
    }

    private static void walk(Object o, String path, List<String> found, Set<Object> seen) {
        if (o == null || !seen.add(o)) {
            return;
        }
        switch (o) {
            case Collection<?> items -> {
                int i = 0;
                for (Object item : items) {
                    walk(item, path + "[" + i++ + "]", found, seen);
                }
                return;
            }
            case Map<?, ?> map -> {
                map.forEach((k, v) -> walk(v, path + "[" + k + "]", found, seen));
                return;
            }
            default -> {
            }
        }
        Class<?> type = o.getClass();
        if (!type.getName().startsWith("io.fabric8.") || o instanceof GenericKubernetesResource) {
            return; // a leaf (String, Integer, ...) or a kind outside the typed model
        }
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                field.setAccessible(true);
                Object value;
                try {
                    value = field.get(o);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                if (field.getName().equals("additionalProperties")) {
                    if (value instanceof Map<?, ?> unknown && !unknown.isEmpty()) {
                        found.add(path + ": unknown field(s) " + unknown.keySet());
                    }
                } else {
                    walk(value, path + "." + jsonName(field), found, seen);
                }
            }
        }
    }

    private static String jsonName(Field field) {
        JsonProperty property = field.getAnnotation(JsonProperty.class);
        return property != null && !property.value().isEmpty() ? property.value() : field.getName();
    }
}
