-- 0010: duties that must run on one server at a time (sweeping lost runs, later the scheduler's
-- tick), held under a lease with a fencing epoch that every write of the duty checks in its own
-- transaction (src/cluster/duty.cpp). A take-over always raises the epoch; a release only ends
-- the lease, so epochs never go back.
CREATE TABLE duties (
  name         TEXT PRIMARY KEY,
  holder       TEXT NOT NULL,                  -- servers.id of the holder (or the last one)
  epoch        BIGINT NOT NULL,                -- one holder's uninterrupted tenure
  lease_until  TEXT NOT NULL,                  -- RFC 3339 UTC; past it, the duty is free
  acquired_at  TEXT NOT NULL                   -- RFC 3339 UTC; when this epoch began
);
