-- A resend of an interchange already ingested (same sender and ISA13, other
-- bytes) is found by this index (ingest: likely duplicate transmission).
CREATE INDEX remittance_files_interchange_idx ON remittance_files (sender_id, isa_control);
