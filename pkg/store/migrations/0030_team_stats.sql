-- 0030: the team's snapshot. GET /v1/team counted every open item of the
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
