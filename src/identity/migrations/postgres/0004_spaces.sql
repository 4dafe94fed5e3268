-- 0004: spaces (the unit of tenancy), members, roles, permission overwrites, invitations, bans,
-- API tokens, and two-factor sign-in. Permission bits are BIGINT (64-bit): see
-- include/ris/identity/permissions.hpp for their stable positions.
ALTER TABLE accounts ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;            -- base32; set while enabling or enabled
ALTER TABLE accounts ADD COLUMN totp_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;  -- refuses a replayed code

CREATE TABLE recovery_codes (
  account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  code_hash   TEXT NOT NULL,                                   -- SHA-256 of the normalised code
  used_at     TEXT,
  PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE spaces (
  id           TEXT PRIMARY KEY,                              -- also the id of its @everyone role
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  is_public    BIGINT NOT NULL DEFAULT 0,
  owner_id     TEXT NOT NULL REFERENCES accounts (id),
  created_at   TEXT NOT NULL
);
CREATE INDEX spaces_owner ON spaces (owner_id);

CREATE TABLE space_members (
  space_id     TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  nickname     TEXT NOT NULL DEFAULT '',
  joined_at    TEXT NOT NULL,
  muted_until  TEXT,                                          -- timeout (RFC 3339), NULL: none
  PRIMARY KEY (space_id, account_id)
);
CREATE INDEX space_members_account ON space_members (account_id);

CREATE TABLE roles (
  id           TEXT PRIMARY KEY,
  space_id     TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  position     BIGINT NOT NULL,                              -- 0 is @everyone; higher ranks higher
  permissions  BIGINT NOT NULL,
  color        TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL
);
CREATE INDEX roles_space ON roles (space_id, position);

CREATE TABLE member_roles (
  space_id     TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (space_id, account_id, role_id),
  FOREIGN KEY (space_id, account_id) REFERENCES space_members (space_id, account_id) ON DELETE CASCADE
);

-- Allow/deny refinements on one resource (a chat channel, an agent group) for a role or member.
CREATE TABLE permission_overwrites (
  space_id       TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  resource_type  TEXT NOT NULL,                               -- 'channel', 'agent_group', ...
  resource_id    TEXT NOT NULL,
  target_kind    TEXT NOT NULL CHECK (target_kind IN ('role', 'member')),
  target_id      TEXT NOT NULL,
  allow          BIGINT NOT NULL DEFAULT 0,
  deny           BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (space_id, resource_type, resource_id, target_kind, target_id)
);

CREATE TABLE invitations (
  code         TEXT PRIMARY KEY,
  space_id     TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  created_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,                                          -- NULL: never
  max_uses     BIGINT NOT NULL DEFAULT 0,                    -- 0: unlimited
  uses         BIGINT NOT NULL DEFAULT 0,
  revoked_at   TEXT
);
CREATE INDEX invitations_space ON invitations (space_id);

CREATE TABLE bans (
  space_id     TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  account_id   TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  banned_by    TEXT NOT NULL,
  banned_at    TEXT NOT NULL,
  PRIMARY KEY (space_id, account_id)
);

-- Automation credentials: shown once, stored as SHA-256, scoped to one space and a subset of
-- the creator's permissions.
CREATE TABLE api_tokens (
  id            TEXT PRIMARY KEY,
  space_id      TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  permissions   BIGINT NOT NULL,
  created_at    TEXT NOT NULL,
  expires_at    TEXT,
  last_used_at  TEXT,
  revoked_at    TEXT
);
CREATE INDEX api_tokens_space ON api_tokens (space_id);
