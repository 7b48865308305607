-- 0026: the appeal KPIs read the appeals tracked in work_item_appeals
-- (0020): a change to an item's appeals (a level submitted, decided,
-- withdrawn, its amounts corrected, or removed) marks the work item dirty
-- ('W', k1 work_items.id, as kpi_mark_items in 0008), so the refresher
-- recomputes its contributions on the days of its appeal.
CREATE FUNCTION kpi_mark_appeals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty (kind, k1) SELECT DISTINCT 'W', work_item_id FROM changed;
    RETURN NULL;
END
$$;
CREATE TRIGGER work_item_appeals_kpi_ins AFTER INSERT ON work_item_appeals
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_appeals();
CREATE TRIGGER work_item_appeals_kpi_upd AFTER UPDATE ON work_item_appeals
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_appeals();
-- An update that moves an appeal to another item marks the old one too.
CREATE TRIGGER work_item_appeals_kpi_upd_old AFTER UPDATE ON work_item_appeals
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_appeals();
CREATE TRIGGER work_item_appeals_kpi_del AFTER DELETE ON work_item_appeals
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_appeals();

-- The appeal KPIs' definitions changed for items with tracked appeals:
-- recompute those items at the next refresh.
INSERT INTO kpi_dirty (kind, k1) SELECT DISTINCT 'W', work_item_id FROM work_item_appeals;
