-- The console's escalations page (issue 19) lists the open items past
-- their appeal deadline, due soon, and escalated, by deadline, through
-- GET /v1/work-items?deadline=overdue|due_soon&sort=appeal_deadline and
-- ?escalated=true&sort=appeal_deadline. At 1,000,000 open items the
-- escalated list read every open item of the caller's practices to find
-- the few escalated ones, and the deadline lists sorted every item past
-- its deadline: these indexes hold those items in the list's order
-- (the pager's key, coalesce(appeal_deadline, 'infinity'), then id).
CREATE INDEX work_items_escalated_idx ON work_items ((coalesce(appeal_deadline, 'infinity'::date)), id)
    WHERE escalated_at IS NOT NULL AND status NOT IN ('resolved', 'written_off');
CREATE INDEX work_items_deadline_order_idx ON work_items ((coalesce(appeal_deadline, 'infinity'::date)), id)
    WHERE status NOT IN ('resolved', 'written_off', 'appealed', 'resubmitted');
