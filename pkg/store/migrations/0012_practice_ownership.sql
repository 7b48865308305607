-- 0012: every part of a remittance file carries its practice.
--
-- A file may pay several practices (one per transaction set). Its
-- transactions, claims and lines already carry the practice of their payee;
-- the provider-level adjustments (PLB) now do too, so every part can be
-- shown only to callers in that practice's scope. remittance_files.practice_id
-- stays the first transaction's practice, a hint for lists of old callers:
-- it is never the owner of the file (the API scopes files by their
-- transactions, and a raw file goes only to callers who see every practice
-- in it).

ALTER TABLE provider_adjustments ADD COLUMN practice_id bigint;

UPDATE provider_adjustments p SET practice_id = t.practice_id
    FROM remittance_transactions t WHERE t.id = p.transaction_id AND p.practice_id IS NULL;

-- A writer that does not name the practice gets its transaction's.
CREATE FUNCTION provider_adjustments_practice() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.practice_id IS NULL THEN
        SELECT practice_id INTO NEW.practice_id FROM remittance_transactions WHERE id = NEW.transaction_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER provider_adjustments_practice
    BEFORE INSERT ON provider_adjustments
    FOR EACH ROW EXECUTE FUNCTION provider_adjustments_practice();

ALTER TABLE provider_adjustments ALTER COLUMN practice_id SET NOT NULL;
CREATE INDEX provider_adjustments_practice_idx ON provider_adjustments (practice_id, file_id);

-- The files of a practice, newest first, through their transactions.
CREATE INDEX remittance_transactions_practice_file_idx ON remittance_transactions (practice_id, file_id);

COMMENT ON COLUMN remittance_files.practice_id IS
    'the first transaction''s practice; not the owner: a file belongs to the practices of its transactions';
