-- 0017: deployments (src/deploy, seed 002). An apply makes a revision of a deployment in one
-- environment; its steps (one per service and node) are the journal the deployer advances, on
-- the one server holding the duty "deployer". A step's task is submitted with the idempotency
-- key "deploy:<revision>:<service>:<node>:<phase>:<attempt>", so a step that a dead server had
-- started is picked up by the next holder without running twice.
CREATE TABLE deploy_revisions (
  id           TEXT PRIMARY KEY,
  space_id     TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  deployment   TEXT NOT NULL,
  environment  TEXT NOT NULL,        -- '' : the file's base values
  revision     BIGINT NOT NULL,      -- 1, 2, … per deployment and environment
  state        TEXT NOT NULL,        -- applying | applied | failed
  plan_hash    TEXT NOT NULL,
  file         TEXT NOT NULL,        -- the YAML as applied
  specs        TEXT NOT NULL,        -- JSON {service: spec}: what is live once applied
  detail       TEXT,
  created_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  finished_at  TEXT,
  UNIQUE (space_id, deployment, environment, revision)
);
CREATE INDEX deploy_revisions_state ON deploy_revisions (state);

-- States: pending, running (task_id set), succeeded, failed (detail says why), skipped (an
-- earlier step failed). Phase: action (create, update or remove), then health (attempts).
CREATE TABLE deploy_steps (
  revision_id  TEXT NOT NULL REFERENCES deploy_revisions (id) ON DELETE CASCADE,
  service      TEXT NOT NULL,
  node         TEXT NOT NULL,
  wave         BIGINT NOT NULL,
  change       TEXT NOT NULL,        -- create | update | remove | unchanged
  phase        TEXT NOT NULL,
  state        TEXT NOT NULL,
  attempt      BIGINT NOT NULL DEFAULT 0,
  task_id      TEXT,
  next_at      TEXT,                 -- a health attempt waits until then
  detail       TEXT,
  started_at   TEXT,
  finished_at  TEXT,
  PRIMARY KEY (revision_id, service, node)
);
