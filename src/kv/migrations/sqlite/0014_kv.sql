-- 0014: the key-value store (src/kv). One revision counter per space, raised by every write in
-- the write's own transaction, so revisions follow commit order: a watcher reading the change
-- log after revision N misses nothing and sees nothing twice. Keys hold their value and their
-- create/modify revisions; kv_changes is the log of every put, delete and expiry (the history,
-- and what watches read), trimmed to the newest changes of each space.
CREATE TABLE kv_spaces (
  space_id    TEXT PRIMARY KEY REFERENCES spaces (id) ON DELETE CASCADE,
  revision    BIGINT NOT NULL,
  compacted   BIGINT NOT NULL DEFAULT 0      -- changes up to this revision were trimmed
);

CREATE TABLE kv_keys (
  space_id         TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  key              TEXT NOT NULL,
  value            BLOB NOT NULL,
  content_type     TEXT NOT NULL,
  create_revision  BIGINT NOT NULL,
  mod_revision     BIGINT NOT NULL,
  version          BIGINT NOT NULL,          -- puts since the key was created
  expires_at       TEXT,                     -- RFC 3339 UTC; NULL: never
  PRIMARY KEY (space_id, key)
);
CREATE INDEX kv_keys_expiry ON kv_keys (expires_at);

CREATE TABLE kv_changes (
  space_id      TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  revision      BIGINT NOT NULL,
  key           TEXT NOT NULL,
  op            TEXT NOT NULL,               -- put | delete | expire
  value         BLOB,
  content_type  TEXT,
  at            TEXT NOT NULL,
  PRIMARY KEY (space_id, revision)
);
CREATE INDEX kv_changes_key ON kv_changes (space_id, key, revision);
