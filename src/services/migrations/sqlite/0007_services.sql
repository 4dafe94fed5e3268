-- 0007: Docker services (desired state with a version history), what agents report of them,
-- and image archives uploaded for hosts without a registry.
CREATE TABLE services (
  id                  TEXT PRIMARY KEY,
  space_id            TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name                TEXT NOT NULL,
  version             INTEGER NOT NULL,               -- the current version (service_versions)
  desired_state       TEXT NOT NULL DEFAULT 'running', -- running | stopped
  replicas            INTEGER NOT NULL,               -- per targeted agent
  restart_generation  INTEGER NOT NULL DEFAULT 0,     -- bumped by restart: replaces containers
  rollout_state       TEXT NOT NULL DEFAULT 'updating', -- updating | complete | failed | paused | rolled_back
  rollout_error       TEXT,
  created_by          TEXT NOT NULL,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  UNIQUE (space_id, name)
);

CREATE TABLE service_versions (
  service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  spec        TEXT NOT NULL,   -- canonical JSON, secrets included (never served unmasked)
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  reason      TEXT NOT NULL,   -- create | update | rollback to N | automatic rollback: …
  PRIMARY KEY (service_id, version)
);

CREATE TABLE service_reports (
  service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  report      TEXT NOT NULL,   -- the agent's latest status of this service (JSON)
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (service_id, agent_id)
);

CREATE TABLE image_archives (
  id          TEXT PRIMARY KEY,
  space_id    TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  image       TEXT NOT NULL,   -- the reference it provides ("busybox:ris")
  format      TEXT NOT NULL,   -- image (docker save) | rootfs (a root file system tar)
  sha256      TEXT NOT NULL,
  size        INTEGER NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX image_archives_space ON image_archives (space_id);
