-- The ingest service's transactional outbox, one row per stored file rather
-- than one per message: the file's rows and its queue entry commit together,
-- and the publisher re-reads the stored raw bytes to build the messages (the
-- same parser, so the same messages). published_through is the last segment
-- whose messages JetStream has acknowledged; a publisher that restarts
-- resumes after it, and Nats-Msg-Id dedupe absorbs any overlap.
CREATE TABLE publish_queue (
    file_id           bigint      PRIMARY KEY REFERENCES remittance_files (id) ON DELETE CASCADE,
    queued_at         timestamptz NOT NULL DEFAULT now(),
    published_through integer     NOT NULL DEFAULT 0,
    messages          bigint      NOT NULL DEFAULT 0,
    attempts          integer     NOT NULL DEFAULT 0,
    last_error        text,
    published_at      timestamptz             -- set when every message is acknowledged
);
CREATE INDEX publish_queue_pending_idx ON publish_queue (file_id) WHERE published_at IS NULL;
