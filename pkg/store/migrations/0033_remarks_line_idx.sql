-- 0033: remarks_line_idx (service_line_id) WHERE service_line_id IS NOT NULL
-- (0001) is a prefix of remarks_line_position_key (service_line_id,
-- qualifier, position) under the same predicate, which serves every read by
-- line as well: the only index of the schema another one makes redundant
-- (a query over pg_index finds no other). One index entry fewer for each
-- line-level remark an 835 carries.
DROP INDEX IF EXISTS remarks_line_idx;
