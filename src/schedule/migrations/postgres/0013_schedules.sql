-- 0013: schedules (src/schedule). A schedule says when (cron, macro or @every, in a time zone)
-- and what (a task, an HTTP call); the scheduler's tick, a duty held by one server at a time,
-- turns each due instant into one row of schedule_fires — the primary key (schedule, instant)
-- is what makes a fire happen once however many servers run.
CREATE TABLE schedules (
  id                  TEXT PRIMARY KEY,
  space_id            TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name                TEXT NOT NULL,
  spec                TEXT NOT NULL,       -- JSON: when, time_zone, action, policies (schedule_spec.cpp)
  paused              BIGINT NOT NULL DEFAULT 0,
  anchor              TEXT NOT NULL,       -- RFC 3339: @every counts from here
  next_due            TEXT,                -- the next instant to fire; NULL: paused or never again
  created_by          TEXT NOT NULL,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  UNIQUE (space_id, name)
);
CREATE INDEX schedules_due ON schedules (next_due);

-- One row per due instant. States: due (waiting for its fire time, a retry's back-off, or the
-- previous fire to end under overlap=queue), starting (claimed by the holder of epoch), started
-- (the action began: task_id), failed (the action could not start, retries spent), skipped
-- (overlap=forbid), missed (not fired: downtime beyond the catch-up policy; detail says why).
CREATE TABLE schedule_fires (
  schedule_id   TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  due_at        TEXT NOT NULL,             -- the nominal instant (RFC 3339 UTC)
  space_id      TEXT NOT NULL,
  state         TEXT NOT NULL,
  fire_at       TEXT NOT NULL,             -- when to start: due_at + jitter, or a retry's time
  attempt       BIGINT NOT NULL DEFAULT 0,
  epoch         BIGINT,                    -- the scheduler duty's epoch that claimed it
  server_id     TEXT,
  fired_at      TEXT,                      -- when the action started
  task_id       TEXT,
  detail        TEXT,
  PRIMARY KEY (schedule_id, due_at)
);
CREATE INDEX schedule_fires_open ON schedule_fires (state, fire_at);
