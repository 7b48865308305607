// Package auth is who may call remitq's API and what they may see.
//
// A caller proves who it is with a bearer token: a JWT (HS256 with the
// embedded default's key, or RS256 from an identity provider by PEM key or
// JWKS URL; only the configured algorithms are accepted) whose subject or
// email claim is a user's email, or an API key (rqk_..., 32 random bytes,
// stored as its SHA-256 and shown once). The Authenticator loads the user
// on every request — role (admin, supervisor, biller, analyst) and scopes
// (a practice, or one rendering provider of it) — so disabling a user or
// revoking a key takes effect at once. Its Middleware puts the Identity in
// the request context and sets X-Remitq-User for handlers that read the
// user from a header.
//
// Scopes are enforced in SQL: Identity.Where returns a predicate over a
// table's practice and provider columns, with its parameters appended to
// the query's Args, so a row out of scope is never read.
package auth
