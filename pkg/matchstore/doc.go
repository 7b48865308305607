// Package matchstore is the PostgreSQL side of matching: the rows of
// match_claims, line_matches, match_pending and plb_links (read, and
// written by COPY through their CopyTo methods and column lists), the
// queries that find the recorded claims on a payer + CLP07 timeline
// (PositionsByKeys, LoadStored), the waiting claims (LoadPending), the
// PLB links (LoadPLBs), the advisory locks of a timeline (KeyLock,
// LockKeys), and the caches that read PostgreSQL (FeeCache for the fee
// schedule, FileCache for a file's reversals and hashes; Reparse rebuilds a
// paid claim's message from its stored file).
//
// pkg/matchsvc, the running matcher, drives it; matchstore imports no
// service. A paid claim or PLB is addressed by its Pos in the stream of
// remittances: file id, then segment.
package matchstore
