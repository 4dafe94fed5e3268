-- 0005: the fleet — join tokens, agents, their health history, tasks and their runs.
CREATE TABLE join_tokens (
  id           TEXT PRIMARY KEY,
  space_id     TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  token_hash   TEXT NOT NULL UNIQUE,
  labels       TEXT NOT NULL DEFAULT '{}',      -- JSON object given to agents that join with it
  created_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  max_uses     INTEGER NOT NULL DEFAULT 1,      -- 0: unlimited
  uses         INTEGER NOT NULL DEFAULT 0,
  revoked_at   TEXT
);

CREATE TABLE agents (
  id             TEXT PRIMARY KEY,              -- also the CN of its client certificate
  space_id       TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  labels         TEXT NOT NULL DEFAULT '{}',
  hostname       TEXT NOT NULL DEFAULT '',
  os             TEXT NOT NULL DEFAULT '',
  kernel         TEXT NOT NULL DEFAULT '',
  arch           TEXT NOT NULL DEFAULT '',
  agent_version  TEXT NOT NULL DEFAULT '',
  addresses      TEXT NOT NULL DEFAULT '[]',
  cert_sha256    TEXT NOT NULL,
  first_seen     TEXT NOT NULL,
  last_seen      TEXT NOT NULL,
  revoked_at     TEXT,
  health         TEXT NOT NULL DEFAULT '{}'     -- the latest heartbeat
);
CREATE INDEX agents_space ON agents (space_id);

CREATE TABLE agent_health (
  agent_id  TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  time      TEXT NOT NULL,
  sample    TEXT NOT NULL,
  PRIMARY KEY (agent_id, time)
);

CREATE TABLE tasks (
  id          TEXT PRIMARY KEY,
  space_id    TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  type        TEXT NOT NULL,
  spec        TEXT NOT NULL,                    -- JSON: parameters, target, options (secrets masked on read)
  mode        TEXT NOT NULL                     -- all | one
);
CREATE INDEX tasks_space ON tasks (space_id, id);

-- One run per agent the task went to. States: pending, dispatched, running, succeeded, failed,
-- timed_out, cancelled, lost.
CREATE TABLE task_runs (
  id             TEXT PRIMARY KEY,
  task_id        TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  space_id       TEXT NOT NULL,
  agent_id       TEXT NOT NULL,
  state          TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  dispatched_at  TEXT,
  started_at     TEXT,
  finished_at    TEXT,
  pending_until  TEXT,                          -- a run not dispatched by then is lost (agent offline)
  attempt        INTEGER NOT NULL DEFAULT 1,
  exit_code      INTEGER,
  signal         INTEGER,
  error          TEXT,
  output_bytes   INTEGER NOT NULL DEFAULT 0,
  output_truncated INTEGER NOT NULL DEFAULT 0,
  result         TEXT                           -- JSON: type-specific result
);
CREATE INDEX task_runs_task ON task_runs (task_id);
CREATE INDEX task_runs_agent_state ON task_runs (agent_id, state);

CREATE TABLE task_output (
  run_id  TEXT NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
  seq     INTEGER NOT NULL,
  stream  TEXT NOT NULL,                        -- stdout | stderr
  data    TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
