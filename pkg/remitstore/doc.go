// Package remitstore stores 835 remittance files and publishes their lines.
//
// Ingest takes a file's raw bytes: it keeps them whatever happens, parses
// them with package x12, and in one PostgreSQL transaction writes the file,
// its transaction sets, claims, service lines, adjustments, remarks and
// provider adjustments, plus an entry in the publish queue (the outbox). A
// file with errors is quarantined with its errors and nothing else; a file
// whose payee is not a registered practice is kept and flagged
// 'unknown_payee' until the practice is added; the same bytes twice (same
// sha256) change nothing.
//
// Publisher drains the publish queue: it re-reads each stored file and
// publishes one message per claim (with its lines) and PLB pair on
// JetStream, and one per service line when a consumer takes them
// (Publisher.Lines), with Nats-Msg-Id = <sha256>:<segment>, recording how
// far JetStream has acknowledged, so a crash at any point loses no line
// and duplicates none.
package remitstore
