-- 0015: durable queues (src/queue), embedded on the store. A topic keeps its messages in order
-- (seq); each subscription of it gets every message (fan-out between subscriptions), and the
-- consumers pulling one subscription share its messages (a queue group). A message pulled is
-- leased to its consumer until the ack deadline: acked, it is done; nacked or not acked in
-- time, it is delivered again; after max_deliveries it goes to the dead-letter topic.
CREATE TABLE queue_topics (
  id                    TEXT PRIMARY KEY,
  space_id              TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name                  TEXT NOT NULL,
  max_deliveries        BIGINT NOT NULL,
  ack_deadline_seconds  BIGINT NOT NULL,
  retention_seconds     BIGINT NOT NULL,
  retention_messages    BIGINT NOT NULL,
  dead_letter_topic     TEXT,                -- a topic of the same space, by name
  last_seq              BIGINT NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  UNIQUE (space_id, name)
);

CREATE TABLE queue_messages (
  topic_id         TEXT NOT NULL REFERENCES queue_topics (id) ON DELETE CASCADE,
  seq              BIGINT NOT NULL,
  idempotency_key  TEXT,
  body             BLOB NOT NULL,
  content_type     TEXT NOT NULL,
  published_at     TEXT NOT NULL,
  PRIMARY KEY (topic_id, seq)
);
CREATE UNIQUE INDEX queue_messages_idempotency ON queue_messages (topic_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX queue_messages_time ON queue_messages (topic_id, published_at);

CREATE TABLE queue_subscriptions (
  id          TEXT PRIMARY KEY,
  topic_id    TEXT NOT NULL REFERENCES queue_topics (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  next_seq    BIGINT NOT NULL,               -- the first message not yet handed out
  created_at  TEXT NOT NULL,
  UNIQUE (topic_id, name)
);

-- Messages handed out and not yet acked. state: leased (until lease_until) | ready (nacked).
CREATE TABLE queue_deliveries (
  subscription_id  TEXT NOT NULL REFERENCES queue_subscriptions (id) ON DELETE CASCADE,
  seq              BIGINT NOT NULL,
  deliveries       BIGINT NOT NULL,
  state            TEXT NOT NULL,
  lease_until      TEXT NOT NULL,
  PRIMARY KEY (subscription_id, seq)
);
