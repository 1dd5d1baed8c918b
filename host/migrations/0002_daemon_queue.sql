-- The daemon's tables, the same for SQLite and PostgreSQL: the sessions its sources found,
-- the sweep's decision for each (scanner, session) pair, and the work queue.

-- A session found by a source. `locator` is where the recording is read from (a file path);
-- `fingerprint` changes whenever the file does, so the source reloads only changed files.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    locator TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    started_at_ms BIGINT,
    -- The time of the session's last event; it is settled once this is old enough.
    last_event_at_ms BIGINT NOT NULL,
    discovered_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE INDEX sessions_by_last_event ON sessions (last_event_at_ms, id);
CREATE INDEX sessions_by_locator ON sessions (locator);

-- What a sweep decided for a (scanner, session) pair: 'queued' or 'sampled_out'. Each pair is
-- decided once, so a later sweep neither queues it again nor samples it anew.
CREATE TABLE sweep_decisions (
    scanner_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_at_ms BIGINT NOT NULL,
    PRIMARY KEY (scanner_id, session_id)
);

-- Work to do: run a scanner on a session. A worker takes every row of one session at once, so
-- one render serves all of that session's scanners; `taken_until_ms` is the lease that lets
-- another worker take the rows over when the taker dies.
CREATE TABLE work_queue (
    scanner_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    triggered_by TEXT NOT NULL,
    triggered_by_user_id TEXT,
    enqueued_at_ms BIGINT NOT NULL,
    taken_by TEXT,
    taken_until_ms BIGINT,
    takes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scanner_id, session_id)
);

CREATE INDEX work_queue_by_session ON work_queue (session_id);
CREATE INDEX work_queue_by_enqueue ON work_queue (enqueued_at_ms);

-- Where each polled source stopped, so a restart goes on from there.
CREATE TABLE source_cursors (
    source TEXT PRIMARY KEY,
    cursor_value TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
