/**
 * Who may call what: each service an OAuth2 resource server with role rules per endpoint
 * ({@link io.bootswarm.common.security.AccessRules}), the caller's identity for host-bound checks
 * ({@link io.bootswarm.common.security.Caller}), an audit log, and client-credentials tokens on the
 * calls services make to each other.
 *
 * <p>Null-marked: nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.bootswarm.common.security;

import org.jspecify.annotations.NullMarked;
