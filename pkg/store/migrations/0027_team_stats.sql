-- 0027: the team's snapshot. GET /v1/team counted every open item of the
-- practice's people on each request (1.4 s p50 at 1,000,000 open items);
-- like work_queue_stats (0007) the sweep now keeps the counts per
-- assignee, practice and provider (so a provider scope still narrows
-- them), and ?fresh=true counts live.
CREATE UNLOGGED TABLE work_assignee_stats (
    assignee_id  bigint        NOT NULL,
    practice_id  bigint        NOT NULL,
    provider_npi text          NOT NULL,
    open         integer       NOT NULL,
    escalated    integer       NOT NULL,
    at_risk      numeric(14,2) NOT NULL,
    d0_30        integer       NOT NULL,
    d31_60       integer       NOT NULL,
    d61_90       integer       NOT NULL,
    d91          integer       NOT NULL,
    computed_at  timestamptz   NOT NULL,
    PRIMARY KEY (assignee_id, practice_id, provider_npi)
);

-- The escalations page's lists (GET /v1/work-items?deadline=overdue,
-- ?deadline=due_soon, ?escalated=true, sort=appeal_deadline): every caller
-- but an admin is scoped to its practices (w.practice_id = ANY(...)), and
-- the lists are ordered by (coalesce(appeal_deadline, 'infinity'), id).
-- work_items_deadline_idx (appeal_deadline, 0004) gives neither the
-- practice nor that order, so each list read every open item of the
-- deadline range and sorted it. These lead with the practice, in the
-- lists' key order, over the rows each list keeps (work.DeadlineOpenSQL;
-- work.OpenSQL and escalated).
CREATE INDEX work_items_deadline_open_order_idx ON work_items (practice_id, (coalesce(appeal_deadline, 'infinity'::date)), id)
    WHERE status NOT IN ('resolved', 'written_off', 'appealed', 'resubmitted');
CREATE INDEX work_items_escalated_order_idx ON work_items (practice_id, (coalesce(appeal_deadline, 'infinity'::date)), id)
    WHERE escalated_at IS NOT NULL AND status NOT IN ('resolved', 'written_off');
