-- 0003: accounts, their sign-in identities, refresh tokens and JWT signing keys.
-- An account is global (like a GitHub or Discord user); spaces come in a later migration.
CREATE TABLE accounts (
  id             TEXT PRIMARY KEY,
  email          CITEXT NOT NULL UNIQUE,
  username       CITEXT NOT NULL UNIQUE,
  display_name   TEXT NOT NULL DEFAULT '',
  app_roles      TEXT NOT NULL DEFAULT '[]',   -- JSON array: UserModerator, ServerModerator, ApplicationAdministrator
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

-- How an account signs in. One account may have several: a local password, LDAP, OIDC issuers.
CREATE TABLE account_identities (
  account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  provider       TEXT NOT NULL,                -- 'password', 'ldap', 'oidc:<issuer>'
  subject        TEXT NOT NULL,                -- the provider's id for the account
  secret_hash    TEXT,                         -- argon2id hash for 'password'
  created_at     TEXT NOT NULL,
  PRIMARY KEY (provider, subject)
);
CREATE INDEX account_identities_account ON account_identities (account_id);

-- Opaque refresh tokens, stored as SHA-256. Rotated on every use; a family shares one login.
CREATE TABLE refresh_tokens (
  id             TEXT PRIMARY KEY,
  family_id      TEXT NOT NULL,
  account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  token_hash     TEXT NOT NULL UNIQUE,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  used_at        TEXT,
  revoked_at     TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Signing keys for access tokens. Retired keys stay until their last token has expired.
CREATE TABLE jwt_keys (
  kid            TEXT PRIMARY KEY,
  private_pem    TEXT NOT NULL,
  public_pem     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  retired_at     TEXT
);
