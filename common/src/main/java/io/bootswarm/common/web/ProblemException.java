package io.bootswarm.common.web;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

import java.net.URI;

/**
 * A client error with an RFC 9457 body: {@code type} is {@code urn:bootswarm:problem:<slug>},
 * {@code title} a short fixed phrase for the slug, {@code detail} what exactly was wrong. Thrown
 * before any state changes, so a rejected request leaves nothing behind.
 */
public class ProblemException extends ErrorResponseException {

    public ProblemException(HttpStatus status, String slug, String title, String detail) {
        super(status, problem(status, slug, title, detail), null);
    }

    private static ProblemDetail problem(HttpStatus status, String slug, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create("urn:bootswarm:problem:" + slug));
        p.setTitle(title);
        return p;
    }

    /** Adds a member to the problem body, e.g. the id that was not found. */
    public ProblemException with(String name, Object value) {
        getBody().setProperty(name, value);
        return this;
    }

    public static ProblemException badRequest(String slug, String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, slug, "Bad request", detail);
    }

    public static ProblemException notFound(String slug, String detail) {
        return new ProblemException(HttpStatus.NOT_FOUND, slug, "Not found", detail);
    }

    public static ProblemException conflict(String slug, String detail) {
        return new ProblemException(HttpStatus.CONFLICT, slug, "Conflict", detail);
    }

    /** The problem's detail (its title when it has none). */
    @Override
    public String getMessage() {
        String detail = getBody().getDetail();
        return detail != null ? detail : String.valueOf(getBody().getTitle());
    }
}
