// Package apisvc is remitq's HTTP/JSON API for supervisors, billers and
// analysts: work queues and items, remittance views and the audit log.
// The OpenAPI 3 description is openapi.json (served at /openapi.json).
//
// Service is a svc.Component and a svc.HTTPWrapper: in a process it
// authenticates every /v1/ request of every component (pkg/auth), so the
// matcher's and router's handlers behind it get an identity in the request
// context and X-Remitq-User. Each of its own routes (Routes) names the
// permission it needs and whether it touches PHI; every query filters by
// the caller's scope in SQL (auth.Identity.Where), and a resource outside
// the scope answers 404 exactly as a missing one does. Routes that read or
// change PHI, and every change, write an audit row before answering.
//
// Lists page by keyset: ?cursor= (opaque, from next_cursor), ?limit=
// (1..500), ?sort=name or ?sort=-name. Work items carry a version:
// PATCH and PUT take If-Match (answering 412 when stale) or a body version
// (409), so two billers never overwrite each other.
//
// Run sweeps the work items every SweepInterval: items assigned and
// untouched for the configured business days return to their queue, items
// past the SLA or near their appeal deadline escalate, snoozed items wake.
package apisvc
