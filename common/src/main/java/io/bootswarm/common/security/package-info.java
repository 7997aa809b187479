/**
 * Who may call what: each service an OAuth2 resource server with role rules per endpoint
 * ({@link io.bootswarm.common.security.AccessRules}), the caller's identity for host-bound checks
 * ({@link io.bootswarm.common.security.Caller}), an audit log, and client-credentials tokens on the
 * calls services make to each other.
 */
package io.bootswarm.common.security;
