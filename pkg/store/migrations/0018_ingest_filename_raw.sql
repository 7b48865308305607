-- A received file name that is not UTF-8 text (or holds control
-- characters) is stored as a safe display name in remittance_files.filename
-- and, exactly as received, here; NULL when the two are the same.
ALTER TABLE remittance_files ADD COLUMN IF NOT EXISTS filename_raw bytea;
