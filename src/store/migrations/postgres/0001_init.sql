-- 0001: facts about the database itself.
--
-- Migration files are numbered 0001, 0002, ... without gaps and are never edited once released;
-- a change is a new file. Each file runs inside one transaction opened by the migrator, so it
-- must not BEGIN or COMMIT itself. The migrator creates schema_migrations before running any.

-- Case-insensitive text for e-mail addresses and user names (SQLite: COLLATE NOCASE).
-- A trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS citext;

-- Key/value facts (the instance id, created by open_store after migrating).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
