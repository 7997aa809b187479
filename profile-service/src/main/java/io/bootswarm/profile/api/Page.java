package io.bootswarm.profile.api;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/**
 * One page of a list.
 *
 * @param items         the items on this page
 * @param page          page number, from 0
 * @param size          page size asked for
 * @param totalElements items in all
 * @param totalPages    pages in all
 */
@Schema(name = "Page", description = "One page of a list")
record Page<T>(List<T> items, int page, int size, long totalElements, int totalPages) {

    static <T> Page<T> of(org.springframework.data.domain.Page<T> p) {
        return new Page<>(p.getContent(), p.getNumber(), p.getSize(), p.getTotalElements(), p.getTotalPages());
    }
}
