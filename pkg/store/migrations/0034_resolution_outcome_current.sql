-- 0034: a resolution's outcome and amount recovered (0020) belong to that
-- resolution. Reopening an item (a supervisor's PATCH, the router's reopen
-- on a new remit) left them in the row, and when the router resolved the
-- item again on a payment the KPIs read the undone resolution's "upheld"
-- as the appeal's outcome: a won appeal counted lost. Whatever moves an
-- item out of resolved now clears them, in one place; a resolution sets
-- them again in the same UPDATE that resolves.
CREATE FUNCTION work_items_clear_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.resolution_outcome := '';
    NEW.resolution_recovered := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER work_items_clear_outcome BEFORE UPDATE ON work_items
    FOR EACH ROW WHEN (NEW.status <> 'resolved' AND (NEW.resolution_outcome <> '' OR NEW.resolution_recovered IS NOT NULL))
    EXECUTE FUNCTION work_items_clear_outcome();

UPDATE work_items SET resolution_outcome = '', resolution_recovered = NULL
    WHERE status <> 'resolved' AND (resolution_outcome <> '' OR resolution_recovered IS NOT NULL);
