-- 0012: a task submitted with an idempotency key is stored once: a repeated submission with the
-- same key (a client retrying after a lost answer, a schedule's fire taken over by another
-- server) returns the task already made.
ALTER TABLE tasks ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX tasks_idempotency ON tasks (space_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
