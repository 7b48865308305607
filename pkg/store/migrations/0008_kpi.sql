-- 0008_kpi: summary tables for the KPI reports (pkg/kpi, issue 8).
--
-- Reports read only kpi_daily: one row per (basis, day, practice, payer,
-- provider, CPT, category, code) with additive measures (counts and money).
-- It is kept up to date incrementally:
--
--   * statement-level triggers on the tables the KPIs come from (the
--     matcher's line_matches and match_claims, the router's and the API's
--     work_items, the billing loader's billed_claims) note what changed in
--     kpi_dirty, in the writer's own transaction: nothing is missed and
--     nothing is seen before it commits;
--   * the refresher (pkg/kpi/kpistore.Refresh, run by the KPI component
--     after the router's batches and on demand by `remitq report`) takes the
--     advisory lock, deletes the dirty keys it handles (DELETE ... RETURNING,
--     so a key noted meanwhile waits for the next run), recomputes their
--     contributions (kpi_facts: every source row's rows of kpi_daily, as
--     pkg/kpi computes them) and adds new minus old to kpi_daily. Running it
--     again changes nothing; two refreshers serialize on the lock.
--
-- An appeal's dollars are the item's amount at risk when it was appealed:
-- a row trigger keeps that figure in kpi_appeals, since the router zeroes
-- amount_at_risk when a later remit resolves the item.

-- What changed since the last refresh. kind: 'C' a paid claim (k1 file_id,
-- k2 the CLP segment), 'W' a work item (k1 id), 'B' a billed claim (k1 id).
CREATE TABLE kpi_dirty (
    kind text   NOT NULL,
    k1   bigint NOT NULL,
    k2   integer NOT NULL DEFAULT 0
);

-- Every source row's contributions to kpi_daily (what the refresher
-- subtracts when the row changes). source/k1/k2 as in kpi_dirty.
CREATE TABLE kpi_facts (
    source      text    NOT NULL,
    k1          bigint  NOT NULL,
    k2          integer NOT NULL DEFAULT 0,
    basis       text    NOT NULL,   -- 'remit' or 'service'
    day         date    NOT NULL,
    practice_id bigint  NOT NULL,
    payer_code  text    NOT NULL DEFAULT '',
    provider_npi text   NOT NULL DEFAULT '',
    cpt         text    NOT NULL DEFAULT '',
    category    text    NOT NULL DEFAULT '',
    code        text    NOT NULL DEFAULT '',
    m           bigint[] NOT NULL   -- measures in pkg/kpi order (money in cents)
);
CREATE INDEX kpi_facts_source_idx ON kpi_facts (source, k1, k2);
-- Detail exports: one practice's facts over a period.
CREATE INDEX kpi_facts_detail_idx ON kpi_facts (basis, practice_id, day);

-- The daily summary the reports read. m holds the measures in pkg/kpi
-- order (kpi.Measure): counts, and money in cents (exact; the reports turn
-- them into NUMERIC-style decimals at the edge).
CREATE TABLE kpi_daily (
    basis        text    NOT NULL,
    day          date    NOT NULL,
    practice_id  bigint  NOT NULL,
    payer_code   text    NOT NULL DEFAULT '',
    provider_npi text    NOT NULL DEFAULT '',
    cpt          text    NOT NULL DEFAULT '',
    category     text    NOT NULL DEFAULT '',
    code         text    NOT NULL DEFAULT '',
    m            bigint[] NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (basis, practice_id, day, payer_code, provider_npi, cpt, category, code)
);
CREATE INDEX kpi_daily_day_idx ON kpi_daily (basis, day);

-- Adds two measure arrays element by element (a shorter one counts as
-- zeros past its end).
CREATE FUNCTION kpi_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY n), '{}')
    FROM unnest(a, b) WITH ORDINALITY AS t(x, y, n)
$$;

-- Sum of measure arrays, for GROUP BY.
CREATE AGGREGATE kpi_sum(bigint[]) (SFUNC = kpi_add, STYPE = bigint[], INITCOND = '{}');

-- One row per appealed work item: the amount at risk when it was first
-- moved to 'appealed' and the date the appeal was sent.
CREATE TABLE kpi_appeals (
    work_item_id bigint        PRIMARY KEY,
    appealed_on  date          NOT NULL,
    amount       numeric(14,2) NOT NULL,
    recorded_at  timestamptz   NOT NULL DEFAULT now()
);

CREATE FUNCTION kpi_note_appeal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_appeals (work_item_id, appealed_on, amount)
    VALUES (NEW.id, coalesce(NEW.appealed_on, current_date), OLD.amount_at_risk)
    ON CONFLICT (work_item_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER work_items_kpi_appeal
    AFTER UPDATE OF status ON work_items
    FOR EACH ROW WHEN (NEW.status = 'appealed' AND OLD.status IS DISTINCT FROM 'appealed')
    EXECUTE FUNCTION kpi_note_appeal();

-- Dirty marks: one statement-level trigger per table and event (transition
-- tables allow one event per trigger).
CREATE FUNCTION kpi_mark_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty (kind, k1, k2) SELECT DISTINCT 'C', file_id, claim_segment FROM changed;
    RETURN NULL;
END
$$;
CREATE FUNCTION kpi_mark_claims() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty (kind, k1, k2) SELECT DISTINCT 'C', file_id, segment_index FROM changed;
    RETURN NULL;
END
$$;
CREATE FUNCTION kpi_mark_items() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty (kind, k1) SELECT DISTINCT 'W', id FROM changed;
    RETURN NULL;
END
$$;
CREATE FUNCTION kpi_mark_billed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty (kind, k1) SELECT 'B', id FROM changed;
    RETURN NULL;
END
$$;

CREATE TRIGGER line_matches_kpi_ins AFTER INSERT ON line_matches
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_lines();
CREATE TRIGGER line_matches_kpi_upd AFTER UPDATE ON line_matches
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_lines();
CREATE TRIGGER line_matches_kpi_del AFTER DELETE ON line_matches
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_lines();
CREATE TRIGGER match_claims_kpi_ins AFTER INSERT ON match_claims
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_claims();
CREATE TRIGGER match_claims_kpi_upd AFTER UPDATE ON match_claims
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_claims();
CREATE TRIGGER match_claims_kpi_del AFTER DELETE ON match_claims
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_claims();
CREATE TRIGGER work_items_kpi_ins AFTER INSERT ON work_items
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_items();
CREATE TRIGGER work_items_kpi_upd AFTER UPDATE ON work_items
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_items();
CREATE TRIGGER billed_claims_kpi_ins AFTER INSERT ON billed_claims
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_billed();
