-- 0002: the audit log, a hash chain. Each entry stores the hash of the one before it, so an
-- altered or removed entry breaks the chain (see src/identity/audit_log.cpp). The API only ever
-- appends; nothing in RIS updates or deletes these rows.
CREATE TABLE audit_entries (
  seq        INTEGER PRIMARY KEY,   -- 1, 2, 3, ... without gaps
  id         TEXT NOT NULL UNIQUE,
  time       TEXT NOT NULL,         -- RFC 3339 UTC
  actor      TEXT NOT NULL,         -- account id, "system" or "anonymous"
  source     TEXT NOT NULL,         -- remote address, "" for internal events
  space_id   TEXT NOT NULL,         -- "" for instance-wide events
  action     TEXT NOT NULL,         -- e.g. auth.login, space.create
  target     TEXT NOT NULL,
  outcome    TEXT NOT NULL,         -- success, failure, denied
  details    TEXT NOT NULL,         -- JSON object, secrets masked
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX audit_entries_space_seq ON audit_entries (space_id, seq);
CREATE INDEX audit_entries_actor_seq ON audit_entries (actor, seq);
