-- 0018: the secrets deployment files reference (${secret:NAME}, an SSH node's key), and
-- rollback. A secret's value is sealed under the master key (context "deploy_secrets.value",
-- docs/secrets.md); only the deployer opens it, when a step needs it. The API never returns it.
CREATE TABLE deploy_secrets (
  space_id    TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  updated_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (space_id, name)
);

-- kind: apply | rollback (a failed revision's automatic rollback, or `deploy rollback --to N`).
-- on_failure: stop | rollback, from the file or the apply request. removes_from: the revision
-- whose specs and nodes the removal steps undo (the last applied one; for an automatic rollback,
-- the failed one).
ALTER TABLE deploy_revisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'apply';
ALTER TABLE deploy_revisions ADD COLUMN on_failure TEXT NOT NULL DEFAULT 'stop';
ALTER TABLE deploy_revisions ADD COLUMN removes_from TEXT;
