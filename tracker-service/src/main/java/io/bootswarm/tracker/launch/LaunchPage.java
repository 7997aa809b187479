package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/**
 * One page of launches, most recent first.
 *
 * @param items         the launches on this page
 * @param page          page number, from 0
 * @param size          page size asked for
 * @param totalElements launches in all
 * @param totalPages    pages in all
 */
@Schema(description = "A page of launches, most recent first")
record LaunchPage(List<LaunchView> items, int page, int size, long totalElements, int totalPages) {
}
