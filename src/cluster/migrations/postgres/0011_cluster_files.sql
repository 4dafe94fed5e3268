-- 0011: files every server sharing this database must have alike — the agents' CA (ca.crt,
-- ca.key) and the task-signing key (task.key), which enrolled agents pin. The first server
-- stores its own; every other takes them from here. Keys are sealed under the master key.
CREATE TABLE cluster_files (
  name        TEXT PRIMARY KEY,
  content     TEXT NOT NULL,
  created_at  TEXT NOT NULL                    -- RFC 3339 UTC
);
