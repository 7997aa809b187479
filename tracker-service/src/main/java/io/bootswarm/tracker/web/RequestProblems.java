package io.bootswarm.tracker.web;

import io.bootswarm.common.web.ProblemException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Problem bodies for rejected requests that say exactly what was wrong: which field failed which
 * constraint, where the JSON could not be read, which path or query value has the wrong type. The
 * shared {@code ProblemHandler} answers these too, but with generic details; this advice runs first.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestProblems {

    @ExceptionHandler(MethodArgumentNotValidException.class)
    ResponseEntity<ProblemDetail> invalidBody(MethodArgumentNotValidException e) {
        List<Map<String, String>> errors = new ArrayList<>();
        for (FieldError f : e.getBindingResult().getFieldErrors()) {
            errors.add(Map.of("field", f.getField(), "message", String.valueOf(f.getDefaultMessage())));
        }
        e.getBindingResult().getGlobalErrors().forEach(g ->
                errors.add(Map.of("field", g.getObjectName(), "message", String.valueOf(g.getDefaultMessage()))));
        errors.sort((a, b) -> a.get("field").compareTo(b.get("field")));
        String detail = errors.stream().map(m -> m.get("field") + ": " + m.get("message"))
                .collect(Collectors.joining("; ", "invalid request: ", ""));
        return respond(ProblemException.badRequest("invalid-request", detail).with("errors", errors));
    }

    @ExceptionHandler(HandlerMethodValidationException.class)
    ResponseEntity<ProblemDetail> invalidParameter(HandlerMethodValidationException e) {
        List<Map<String, String>> errors = new ArrayList<>();
        e.getParameterValidationResults().forEach(r -> {
            String name = r.getMethodParameter().getParameterName();
            r.getResolvableErrors().forEach(err ->
                    errors.add(Map.of("field", String.valueOf(name), "message", String.valueOf(err.getDefaultMessage()))));
        });
        String detail = errors.stream().map(m -> m.get("field") + ": " + m.get("message"))
                .collect(Collectors.joining("; ", "invalid request: ", ""));
        return respond(ProblemException.badRequest("invalid-request", detail).with("errors", errors));
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
        String detail = "malformed JSON request body";
        Throwable cause = e.getCause();
        if (cause instanceof DatabindException de && !de.getPath().isEmpty()) {
            String path = de.getPath().stream()
                    .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."))
                    .replace(".[", "[");
            detail = "malformed JSON request body: cannot read '" + path + "'";
        } else if (cause instanceof JacksonException je && je.getLocation() != null) {
            detail = "malformed JSON request body at line " + je.getLocation().getLineNr()
                    + ", column " + je.getLocation().getColumnNr();
        } else if (e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")) {
            detail = "a JSON request body is required";
        }
        return respond(ProblemException.badRequest("malformed-body", detail));
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e) {
        String type = e.getRequiredType() == null ? "value" : e.getRequiredType().getSimpleName();
        return respond(ProblemException.badRequest("invalid-request",
                "'" + e.getName() + "' must be a valid " + type + ", got '" + e.getValue() + "'"));
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemException p) {
        return ResponseEntity.status(p.getStatusCode()).body(p.getBody());
    }
}
