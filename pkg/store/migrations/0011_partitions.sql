-- 0011: the high-volume tables partitioned by month.
--
-- service_line_payments and adjustments grow with every remittance, and
-- work_item_events with every touch of a work item. Each becomes a table
-- partitioned by month — of the day its rows were stored (stored_on) for
-- the parsed tables, of the event's time (at) for the events — so that
-- retention drops a month at once instead of deleting rows, and vacuum and
-- index maintenance stay per month. Keys include the partition column, as
-- PostgreSQL requires; lookups by file and segment, by claim, by item, by
-- id keep their indexes (one per partition). A DEFAULT partition takes any
-- row whose month has no partition yet, so a write never fails;
-- remitq_ensure_partitions creates the months (every service calls it at
-- start for the next three) and moves such rows into them.
--
-- PostgreSQL 15 has no identity columns on partitioned tables: ids come from
-- a sequence owned by the column (pg_get_serial_sequence finds it, as the
-- ingest's id reservation needs).

-- ---------------------------------------------------------------------------
-- service_line_payments

ALTER TABLE service_line_payments RENAME TO service_line_payments_0010;
ALTER TABLE service_line_payments_0010 RENAME CONSTRAINT service_line_payments_pkey TO service_line_payments_0010_pkey;
ALTER TABLE service_line_payments_0010 RENAME CONSTRAINT service_line_payments_file_segment_key TO service_line_payments_0010_file_segment_key;
ALTER TABLE service_line_payments_0010 RENAME CONSTRAINT service_line_payments_claim_line_key TO service_line_payments_0010_claim_line_key;
ALTER TABLE service_line_payments_0010 RENAME CONSTRAINT service_line_payments_line_number_check TO service_line_payments_0010_line_number_check;

CREATE SEQUENCE service_line_payments_ids;
CREATE TABLE service_line_payments (
    id                      bigint        NOT NULL DEFAULT nextval('service_line_payments_ids'),
    claim_payment_id        bigint        NOT NULL,
    file_id                 bigint        NOT NULL,
    practice_id             bigint        NOT NULL,
    segment_index           integer       NOT NULL,
    line_number             integer       NOT NULL,
    procedure_qualifier     text          NOT NULL,
    procedure_code          text          NOT NULL,
    modifiers               text[]        NOT NULL DEFAULT '{}',
    original_procedure_code text,
    original_modifiers      text[],
    charge                  numeric(14,2) NOT NULL,
    paid                    numeric(14,2) NOT NULL,
    revenue_code            text,
    units                   numeric(12,3),
    original_units          numeric(12,3),
    service_date_from       date,
    service_date_to         date,
    line_control_number     text,
    allowed_amount          numeric(14,2),
    rendering_npi           text,
    created_at              timestamptz   NOT NULL DEFAULT now(),
    stored_on               date          NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
    CONSTRAINT service_line_payments_pkey PRIMARY KEY (id, stored_on),
    CONSTRAINT service_line_payments_file_segment_key UNIQUE (file_id, segment_index, stored_on),
    CONSTRAINT service_line_payments_claim_line_key UNIQUE (claim_payment_id, line_number, stored_on),
    CONSTRAINT service_line_payments_line_number_check CHECK (line_number >= 1)
) PARTITION BY RANGE (stored_on);
ALTER SEQUENCE service_line_payments_ids OWNED BY service_line_payments.id;
SELECT setval('service_line_payments_ids', coalesce((SELECT max(id) FROM service_line_payments_0010), 0) + 1, false);
CREATE TABLE service_line_payments_default PARTITION OF service_line_payments DEFAULT;

-- ---------------------------------------------------------------------------
-- adjustments

ALTER TABLE adjustments RENAME TO adjustments_0010;
ALTER TABLE adjustments_0010 RENAME CONSTRAINT adjustments_pkey TO adjustments_0010_pkey;
ALTER TABLE adjustments_0010 RENAME CONSTRAINT adjustments_position_check TO adjustments_0010_position_check;
ALTER INDEX adjustments_claim_idx RENAME TO adjustments_0010_claim_idx;

CREATE TABLE adjustments (
    file_id          bigint        NOT NULL,
    claim_payment_id bigint        NOT NULL,
    service_line_id  bigint,
    segment_index    integer       NOT NULL,
    position         integer       NOT NULL,
    group_code       text          NOT NULL,
    reason_code      text          NOT NULL,
    amount           numeric(14,2) NOT NULL,
    quantity         numeric(12,3),
    stored_on        date          NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
    CONSTRAINT adjustments_pkey PRIMARY KEY (file_id, segment_index, position, stored_on),
    CONSTRAINT adjustments_position_check CHECK (position BETWEEN 1 AND 6)
) PARTITION BY RANGE (stored_on);
CREATE INDEX adjustments_claim_idx ON adjustments (claim_payment_id);
CREATE TABLE adjustments_default PARTITION OF adjustments DEFAULT;

-- ---------------------------------------------------------------------------
-- work_item_events

ALTER TABLE work_item_events RENAME TO work_item_events_0010;
ALTER TABLE work_item_events_0010 RENAME CONSTRAINT work_item_events_pkey TO work_item_events_0010_pkey;
ALTER TABLE work_item_events_0010 RENAME CONSTRAINT work_item_events_work_item_id_fkey TO work_item_events_0010_work_item_id_fkey;
ALTER INDEX work_item_events_item_idx RENAME TO work_item_events_0010_item_idx;
ALTER INDEX work_item_events_at_idx RENAME TO work_item_events_0010_at_idx;

CREATE SEQUENCE work_item_events_ids;
CREATE TABLE work_item_events (
    id           bigint      NOT NULL DEFAULT nextval('work_item_events_ids'),
    work_item_id bigint      NOT NULL REFERENCES work_items (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text        NOT NULL,
    action       text        NOT NULL,
    from_status  text,
    to_status    text,
    amount       numeric(14,2),
    detail       jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT work_item_events_pkey PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE work_item_events_ids OWNED BY work_item_events.id;
SELECT setval('work_item_events_ids', coalesce((SELECT max(id) FROM work_item_events_0010), 0) + 1, false);
CREATE INDEX work_item_events_item_idx ON work_item_events (work_item_id, at);
CREATE INDEX work_item_events_at_idx ON work_item_events (at);
CREATE TABLE work_item_events_default PARTITION OF work_item_events DEFAULT;

-- ---------------------------------------------------------------------------
-- Monthly partitions.

-- remitq_partitioned lists the partitioned tables and their keys.
CREATE TABLE remitq_partitioned (
    parent  text PRIMARY KEY,
    key     text NOT NULL,
    is_date boolean NOT NULL   -- the key is a date (else a timestamptz, bounds in UTC)
);
INSERT INTO remitq_partitioned VALUES
    ('service_line_payments', 'stored_on', true),
    ('adjustments', 'stored_on', true),
    ('work_item_events', 'at', false);

-- remitq_ensure_partitions creates the monthly partitions <parent>_pYYYYMM
-- of every partitioned table from the month of first through ahead months
-- after the current one, moving rows of those months out of the DEFAULT
-- partition first. It returns the partitions it created.
CREATE FUNCTION remitq_ensure_partitions(ahead integer, first date DEFAULT NULL) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    t     record;
    m     date;
    last  date := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => ahead))::date;
    part  text;
    lo    text;
    hi    text;
    moved bigint;
BEGIN
    FOR t IN SELECT * FROM remitq_partitioned ORDER BY parent LOOP
        -- One maker of partitions at a time per table.
        PERFORM pg_advisory_xact_lock(hashtext('remitq.partitions.' || t.parent));
        m := date_trunc('month', coalesce(first, (now() AT TIME ZONE 'UTC')::date))::date;
        WHILE m <= last LOOP
            part := format('%s_p%s', t.parent, to_char(m, 'YYYYMM'));
            IF to_regclass(part) IS NULL THEN
                IF t.is_date THEN
                    lo := quote_literal(m::text);
                    hi := quote_literal((m + interval '1 month')::date::text);
                ELSE
                    lo := quote_literal(m::text || ' 00:00:00+00');
                    hi := quote_literal((m + interval '1 month')::date::text || ' 00:00:00+00');
                END IF;
                -- Rows of the month that went to DEFAULT meanwhile move in.
                EXECUTE format('CREATE TEMP TABLE remitq_moving ON COMMIT DROP AS WITH d AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) SELECT * FROM d',
                    t.parent || '_default', t.key, lo, t.key, hi);
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', part, t.parent, lo, hi);
                EXECUTE format('INSERT INTO %I SELECT * FROM remitq_moving', t.parent);
                GET DIAGNOSTICS moved = ROW_COUNT;
                DROP TABLE remitq_moving;
                RETURN NEXT part;
            END IF;
            m := (m + interval '1 month')::date;
        END LOOP;
    END LOOP;
END
$$;

-- The rows already stored go into their months: partitions from the
-- oldest stored month, then a copy through the parent.
SELECT remitq_ensure_partitions(3, (SELECT least(
    (SELECT min(created_at AT TIME ZONE 'UTC')::date FROM service_line_payments_0010),
    (SELECT min(at AT TIME ZONE 'UTC')::date FROM work_item_events_0010),
    (SELECT min(f.received_at AT TIME ZONE 'UTC')::date FROM adjustments_0010 a JOIN remittance_files f ON f.id = a.file_id))));

INSERT INTO service_line_payments (id, claim_payment_id, file_id, practice_id, segment_index, line_number,
    procedure_qualifier, procedure_code, modifiers, original_procedure_code, original_modifiers, charge, paid,
    revenue_code, units, original_units, service_date_from, service_date_to, line_control_number, allowed_amount,
    rendering_npi, created_at, stored_on)
SELECT id, claim_payment_id, file_id, practice_id, segment_index, line_number, procedure_qualifier, procedure_code,
    modifiers, original_procedure_code, original_modifiers, charge, paid, revenue_code, units, original_units,
    service_date_from, service_date_to, line_control_number, allowed_amount, rendering_npi, created_at,
    (created_at AT TIME ZONE 'UTC')::date
FROM service_line_payments_0010;
INSERT INTO adjustments (file_id, claim_payment_id, service_line_id, segment_index, position, group_code,
    reason_code, amount, quantity, stored_on)
SELECT a.file_id, a.claim_payment_id, a.service_line_id, a.segment_index, a.position, a.group_code, a.reason_code,
    a.amount, a.quantity, (f.received_at AT TIME ZONE 'UTC')::date
FROM adjustments_0010 a JOIN remittance_files f ON f.id = a.file_id;
INSERT INTO work_item_events SELECT * FROM work_item_events_0010;

DROP TABLE service_line_payments_0010;
DROP TABLE adjustments_0010;
DROP TABLE work_item_events_0010;
