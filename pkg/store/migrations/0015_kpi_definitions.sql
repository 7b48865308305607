-- 0019_kpi_definitions: the KPIs as DESIGN.md defines them now (issue 17:
-- initial denial rates from first adjudications, first-pass resolution
-- apart from the clean-claim rate, patient payments in the net collection
-- rate, written-off balances leaving A/R, appeal recovery over the dollars
-- expected). The summary rows computed under the old definitions are
-- dropped and every source row is marked dirty, so the next refresh
-- (the KPI component, or `remitq report`) recomputes them all.
TRUNCATE kpi_facts, kpi_daily;
INSERT INTO kpi_dirty (kind, k1, k2)
    SELECT 'C', file_id, segment_index FROM match_claims
    UNION ALL SELECT 'W', id, 0 FROM work_items
    UNION ALL SELECT 'B', id, 0 FROM billed_claims
    UNION ALL SELECT 'P', id, 0 FROM patient_payments;
