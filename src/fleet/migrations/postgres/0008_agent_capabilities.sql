-- 0008: what an agent said it can do in its latest hello (["docker"] when its Docker answers).
ALTER TABLE agents ADD COLUMN capabilities TEXT NOT NULL DEFAULT '[]';
