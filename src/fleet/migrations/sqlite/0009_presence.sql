-- 0009: servers and presence. Every risd registers itself and renews a lease; which agent is
-- connected to which server lives here, so a server only sweeps runs of agents whose holder is
-- gone, never those of another live server.
CREATE TABLE servers (
  id           TEXT PRIMARY KEY,
  advertise    TEXT NOT NULL DEFAULT '[]',     -- JSON array of URLs other servers reach it at
  version      TEXT NOT NULL DEFAULT '',
  started_at   TEXT NOT NULL,                  -- RFC 3339 UTC
  lease_until  TEXT NOT NULL                   -- RFC 3339 UTC; past it, the server is dead
);

CREATE TABLE agent_presence (
  agent_id    TEXT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
  server_id   TEXT NOT NULL,                   -- servers.id holding the agent's connection
  session_id  TEXT NOT NULL,                   -- that connection; a reconnect replaces it
  since       TEXT NOT NULL
);
CREATE INDEX agent_presence_server ON agent_presence (server_id);
