// Package rulesdb keeps what the pain rules (pkg/rules) read beside the
// rule data in PostgreSQL (0009_rules.sql).
package rulesdb
