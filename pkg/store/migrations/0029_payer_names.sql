-- A payer created by a billed claim was named by its code, and an 835 never
-- renamed it. The ingest now names such a payer from its first 835
-- (remitstore); this names the ones stored before, once, from the payer's
-- latest 835 that gave a name.
UPDATE payers p SET name = (SELECT t.payer_name FROM remittance_transactions t
    WHERE t.payer_id = p.id AND coalesce(t.payer_name, '') <> ''
    ORDER BY t.id DESC LIMIT 1)
WHERE p.name = p.payer_id_code
  AND EXISTS (SELECT 1 FROM remittance_transactions t WHERE t.payer_id = p.id AND coalesce(t.payer_name, '') <> '');
