// Package matchsvc is the matcher service as a component of a remitq
// process: it consumes the paid claims (remit.v1.claim.<practice>, each
// with all its lines) and PLB pairs (remit.v1.plb.<practice>) that ingest
// publishes, joins every paid line to its billed line with pkg/match,
// records the answers in PostgreSQL and publishes one ClaimMatches per paid
// claim (the LineMatch of each of its lines) on match.v1.claim.<practice>
// for the router, and each LineMatch alone on match.v1.line.<practice> when
// a consumer takes that subject (Options.Lines). services/matcher runs it alone;
// services/remitq runs it beside the other services. Its SQL half (the
// rows, the timeline and candidate queries, the caches that read
// PostgreSQL) is pkg/matchstore.
//
// # A batch
//
// bus.ConsumeBatch hands a batch of messages to one transaction: the
// practices' advisory locks are taken shared (a load of billed claims takes
// them exclusively, so a paid claim recorded as waiting is always seen by
// the load that brings its billed claim), then one exclusive advisory lock
// per payer + CLP07 the batch reads; every billed claim the batch may need
// is read with a few queries (by CLM01, by the REF*6R not found that way,
// by member for the fuzzy rung), the pure matcher runs in memory, and the
// results are written by COPY: match_claims, line_matches, match_pending
// (waiting for a person or a billed claim), plb_links. After the commit
// the ClaimMatches messages (and any line messages taken) are published and
// the batch is acknowledged only once JetStream acknowledged them. A crash
// before that redelivers the batch; a redelivered claim is already recorded
// (its primary key says so), so it is published again as stored, under the
// same Nats-Msg-Id ("<file sha256>:<CLP segment>:claimmatch", with the
// lines' revisions after the first re-match), and nothing changes.
//
// # Order
//
// Earlier payments are those at a smaller (file id, segment): the stream
// position, not the order in which processes happened to handle them. Two
// matcher processes (or the several batch loops of one) may commit a
// reversal before the payment it reverses; the payment's batch then finds,
// under the same payer + CLP07 lock, the recorded claims after it on that
// timeline (reversals, corrections, duplicates, and corrections that name
// the reversal's CLP07) and matches them again in stream order, as do
// unlinked PLB pairs that name it. Re-matched answers get the next
// revision and go out through the match_outbox table (Nats-Msg-Id
// "...:match:r<revision>"); the router keeps a line's highest revision.
//
// # Waiting claims
//
// A paid claim with a line below the confidence threshold, or unmatched,
// waits in match_pending with its message. Loading billed claims marks the
// waiting claims they may settle in the loading transaction
// (pkg/billedstore); the retry worker re-matches them (pkg/match Rematch) and a
// person can confirm or pick the billed line (Decide), which is recorded
// in match_decisions and audit_log and never overridden by a later retry.
//
// # HTTP and metrics
//
// See Service.Register for the endpoints (review queue, decisions,
// unmatched remits, missing remits, payers). Metrics:
// remitq_match_lines_total{method}, remitq_match_review_queue,
// remitq_match_retry_queue, remitq_match_outbox, remitq_match_lag_messages,
// remitq_match_batch_seconds, remitq_match_plb_total.
package matchsvc
