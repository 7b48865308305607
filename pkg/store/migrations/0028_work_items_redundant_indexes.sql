-- 0028: two work_items indexes that duplicate others. Every item the router
-- inserts pays for each index of the table (about 1.5 µs of PostgreSQL CPU
-- per index per row, measured on a batch insert of 24,600 items: 17
-- secondary indexes cost as much again as the row itself).
--
-- work_items_assignee_idx (assignee_id, priority DESC, id) over the open
-- items (0004) is work_items_my_work_idx (assignee_id, (-priority), id) over
-- the same rows (0007), in an order no query asks for: every listing orders
-- by (-priority, id) (the keyset cursor), and a lookup by assignee finds
-- the same entries through my_work_idx.
DROP INDEX IF EXISTS work_items_assignee_idx;

-- work_items_queue_idx (practice_id, queue_id, priority DESC, id) over the
-- open items (0004): a queue's items in priority order are
-- work_items_queue_order_idx (queue_id, (-priority), id, 0007; a queue is
-- one practice's), and the practice or practice-and-queue lookups are
-- work_items_open_practice_idx (practice_id, queue_id, 0006, same rows,
-- with the summary columns included).
DROP INDEX IF EXISTS work_items_queue_idx;

-- work_items_service_line_idx (service_line_id, 0004, every row): no query
-- looks work items up by their paid line (the KPI refresh joins from the
-- item to service_line_payments by that table's key; the router finds
-- items by dedupe_key).
DROP INDEX IF EXISTS work_items_service_line_idx;
