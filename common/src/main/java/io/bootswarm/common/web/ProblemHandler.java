package io.bootswarm.common.web;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.ConversionNotSupportedException;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.Errors;
import org.springframework.validation.FieldError;
import org.springframework.validation.method.ParameterErrors;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingRequestValueException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Turns every error a service's REST API raises into an RFC 9457 problem body whose {@code type} is
 * {@code urn:bootswarm:problem:<slug>}: {@link ProblemException}s keep their own slug; Spring MVC's
 * own errors get one of
 * <ul>
 * <li>{@code malformed-body}: the body cannot be read (bad JSON, a value of the wrong type, no body);</li>
 * <li>{@code bad-parameter}: a path, query or header value of the wrong type;</li>
 * <li>{@code missing-parameter}: a required path, query, header or part value is absent;</li>
 * <li>{@code invalid-request}: bean validation failed; {@code errors} lists {@code {field, message}};</li>
 * <li>otherwise the status's reason phrase ({@code not-found}, {@code method-not-allowed},
 * {@code unsupported-media-type}, {@code not-acceptable}, ...).</li>
 * </ul>
 * Anything else is a 500 {@code internal} problem that leaks no internals; an
 * {@link IllegalArgumentException} is no exception to that: client errors are
 * {@link ProblemException}s thrown on purpose.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    private static final String TYPE_PREFIX = "urn:bootswarm:problem:";
    private static final URI BLANK = URI.create("about:blank");
    private static final int MAX_SHOWN_VALUE = 100;

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "the service failed to handle this request; see its log");
        p.setType(type("internal"));
        p.setTitle("Internal error");
        return ResponseEntity.internalServerError().body(p);
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleExceptionInternal(Exception ex, @Nullable Object body,
                                                                      HttpHeaders headers, HttpStatusCode status,
                                                                      WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, status, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem) {
            describe(ex, problem);
        }
        return response;
    }

    private static void describe(Exception ex, ProblemDetail p) {
        switch (ex) {
            case MethodArgumentNotValidException e -> invalid(p, bindingErrors(e.getBindingResult()));
            case HandlerMethodValidationException e -> invalid(p, parameterErrors(e));
            case HttpMessageNotReadableException e -> {
                p.setType(type("malformed-body"));
                p.setDetail(unreadable(e));
            }
            case ConversionNotSupportedException e -> p.setType(type("internal"));
            case TypeMismatchException e -> {
                p.setType(type("bad-parameter"));
                p.setDetail(mismatch(e));
            }
            case MissingRequestValueException e -> p.setType(type("missing-parameter"));
            case MissingServletRequestPartException e -> p.setType(type("missing-parameter"));
            case ServletRequestBindingException e -> p.setType(type("bad-parameter"));
            default -> {
                if (p.getType() == null || BLANK.equals(p.getType())) {
                    p.setType(type(statusSlug(p.getStatus())));
                }
            }
        }
    }

    private static void invalid(ProblemDetail p, List<FieldProblem> errors) {
        List<FieldProblem> sorted = errors.stream().sorted(Comparator.comparing(FieldProblem::field)).toList();
        p.setType(type("invalid-request"));
        p.setDetail(sorted.stream().map(f -> f.field() + ": " + f.message())
                .collect(Collectors.joining("; ", "invalid request: ", "")));
        p.setProperty("errors", sorted);
    }

    /**
     * One member of an {@code invalid-request} problem's {@code errors}.
     *
     * @param field   the field (as {@code hosts[1]} for list elements) or request parameter
     * @param message what is wrong with it
     */
    public record FieldProblem(String field, String message) {
    }

    private static List<FieldProblem> bindingErrors(Errors result) {
        List<FieldProblem> errors = new ArrayList<>();
        for (FieldError f : result.getFieldErrors()) {
            errors.add(new FieldProblem(f.getField(), String.valueOf(f.getDefaultMessage())));
        }
        result.getGlobalErrors().forEach(g ->
                errors.add(new FieldProblem(g.getObjectName(), String.valueOf(g.getDefaultMessage()))));
        return errors;
    }

    private static List<FieldProblem> parameterErrors(HandlerMethodValidationException e) {
        List<FieldProblem> errors = new ArrayList<>();
        e.getParameterValidationResults().forEach(r -> {
            if (r instanceof ParameterErrors bound) {
                errors.addAll(bindingErrors(bound));
            } else {
                String name = String.valueOf(r.getMethodParameter().getParameterName());
                r.getResolvableErrors().forEach(err ->
                        errors.add(new FieldProblem(name, String.valueOf(err.getDefaultMessage()))));
            }
        });
        return errors;
    }

    private static String unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getCause();
        if (cause instanceof DatabindException de && !de.getPath().isEmpty()) {
            String path = de.getPath().stream()
                    .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."))
                    .replace(".[", "[");
            return "malformed JSON request body: cannot read '" + path + "'";
        }
        if (cause instanceof JacksonException je && je.getLocation() != null) {
            return "malformed JSON request body at line " + je.getLocation().getLineNr()
                    + ", column " + je.getLocation().getColumnNr();
        }
        if (e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")) {
            return "a JSON request body is required";
        }
        return "malformed JSON request body";
    }

    private static String mismatch(TypeMismatchException e) {
        String type = e.getRequiredType() == null ? "value" : e.getRequiredType().getSimpleName();
        String value = String.valueOf(e.getValue());
        if (value.length() > MAX_SHOWN_VALUE) {
            value = value.substring(0, MAX_SHOWN_VALUE) + "…";
        }
        return "'" + e.getPropertyName() + "' must be a valid " + type + ", got '" + value + "'";
    }

    private static String statusSlug(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        if (known == null || known == HttpStatus.INTERNAL_SERVER_ERROR) {
            return status >= 500 ? "internal" : "bad-request";
        }
        return known.getReasonPhrase().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }

    private static URI type(String slug) {
        return URI.create(TYPE_PREFIX + slug);
    }
}
