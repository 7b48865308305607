-- 0010: indexes nobody reads, off the ingest's hot path.
--
-- Every row the ingest COPYs updates every index of its table; on 100,000
-- service lines (≈ 190,000 rows in all) each index costs several percent of
-- the store time. These are not used by any query of the services, the API
-- or the KPI refresh (claims are found by file and segment, by patient
-- control number or by payer claim control number; adjustments and remarks
-- by their claim; the matcher keeps its own line-control and procedure
-- lookups in line_matches and billed_lines). Add one back with the query
-- that needs it.
DROP INDEX claim_payments_transaction_idx;
DROP INDEX claim_payments_service_date_idx;
DROP INDEX service_line_payments_lcn_idx;
DROP INDEX service_line_payments_code_idx;
DROP INDEX adjustments_line_idx;
DROP INDEX adjustments_reason_idx;
DROP INDEX remarks_code_idx;

-- A CAS triplet is named by its file, segment and position; nothing refers
-- to it by a surrogate id. The id (a sequence call per copied row) and its
-- index go, and the natural key becomes the primary key.
ALTER TABLE adjustments DROP CONSTRAINT adjustments_pkey;
ALTER TABLE adjustments DROP COLUMN id;
ALTER TABLE adjustments DROP CONSTRAINT adjustments_file_segment_position_key;
ALTER TABLE adjustments ADD CONSTRAINT adjustments_pkey PRIMARY KEY (file_id, segment_index, position);
