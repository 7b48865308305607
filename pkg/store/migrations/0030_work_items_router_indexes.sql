-- 0030: fewer work_items index entries per item the router writes. The
-- router inserts every item unassigned (assignee_id NULL) and the batch
-- insert pays for each index entry (about 1 µs of PostgreSQL CPU per index
-- per row; 24,628 items per BenchmarkRouter run).
--
-- work_items_open_practice_idx (practice_id, queue_id) INCLUDE (category,
-- payer_id, provider_npi, amount_at_risk, created_at) (0006) and
-- work_items_open_summary_idx (practice_id, queue_id, provider_npi,
-- created_at, amount_at_risk, assignee_id, escalated_at) (0007) index the
-- same rows on the same leading columns: one index with the summary's keys
-- and category and payer_id included serves both the supervisor's views by
-- category, payer and provider (PracticeQueues, index-only) and the queue
-- counts and the sweep's snapshot.
DROP INDEX IF EXISTS work_items_open_practice_idx;
DROP INDEX IF EXISTS work_items_open_summary_idx;
CREATE INDEX work_items_open_summary_idx ON work_items (practice_id, queue_id, provider_npi, created_at, amount_at_risk, assignee_id, escalated_at)
    INCLUDE (category, payer_id)
    WHERE status NOT IN ('resolved', 'written_off');

-- The per-person indexes are read only with assignee_id = $n (my work, by
-- priority or by dollars) or assignee_id = ANY($n) (team throughput), which
-- imply assignee_id IS NOT NULL: the unassigned items (every item the
-- router creates) need no entry in them.
DROP INDEX IF EXISTS work_items_my_work_idx;
CREATE INDEX work_items_my_work_idx ON work_items (assignee_id, (-priority), id)
    WHERE assignee_id IS NOT NULL AND status NOT IN ('resolved', 'written_off');
DROP INDEX IF EXISTS work_items_my_work_amount_idx;
CREATE INDEX work_items_my_work_amount_idx ON work_items (assignee_id, amount_at_risk, id)
    WHERE assignee_id IS NOT NULL AND status NOT IN ('resolved', 'written_off');
DROP INDEX IF EXISTS work_items_resolved_idx;
CREATE INDEX work_items_resolved_idx ON work_items (assignee_id, resolved_at)
    WHERE assignee_id IS NOT NULL AND resolved_at IS NOT NULL;

-- work_item_events_at_idx (at) (0004, on every partition since 0011) is
-- read by no query: an item's events are read by work_item_events_item_idx
-- (work_item_id, at), and retention drops whole monthly partitions. Every
-- event the router writes (about 1.2 per item) paid for its entry.
DROP INDEX IF EXISTS work_item_events_at_idx;
