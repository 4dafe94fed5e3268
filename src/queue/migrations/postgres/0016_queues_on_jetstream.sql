-- 0016: where a topic keeps its messages. backend 'store' (this database, migration 0015) or
-- 'jetstream' (a NATS JetStream stream per topic, for several servers): chosen when the topic
-- is made, from whether that server has NATS. home_domain is the JetStream domain of the LAN
-- whose stream takes the topic's publishes; a subscription's domain is the LAN whose copy of
-- the stream (the stream itself, or a mirror of it) its consumers read.
ALTER TABLE queue_topics ADD COLUMN backend TEXT NOT NULL DEFAULT 'store';
ALTER TABLE queue_topics ADD COLUMN home_domain TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_subscriptions ADD COLUMN domain TEXT NOT NULL DEFAULT '';
-- What the space's agents may do with the topic through their own identity (an agent is not a
-- member, so no role applies): none | publish | consume | both.
ALTER TABLE queue_topics ADD COLUMN agent_access TEXT NOT NULL DEFAULT 'none';
