package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/** One page of preheats, most recent first. */
@Schema(description = "A page of preheats, most recent first")
record PreheatPage(List<PreheatView> items, int page, int size, long totalElements, int totalPages) {
}
