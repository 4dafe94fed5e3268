-- 0006: retries with back-off and priority for task runs.
ALTER TABLE task_runs ADD COLUMN not_before TEXT;                  -- a retry waits until then
ALTER TABLE task_runs ADD COLUMN priority BIGINT NOT NULL DEFAULT 0;  -- higher is sent first
CREATE INDEX task_runs_pending ON task_runs (state, not_before);
