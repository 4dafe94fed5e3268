// Help texts: risctl --help and every command's --help, with examples.
#include "help.hpp"

#include <map>

namespace ris::cli {

const std::string& top_help() {
  static const std::string text = R"(risctl — the command line for RIS

Usage: risctl COMMAND [ARGS] [FLAGS]

Sign in:
  login URL            sign in to a risd and save a context
  logout               end the session of the current context
  context              list contexts, switch, choose the default space

Resources (agents, tasks, services, schedules, spaces, members, roles, tokens, audit,
invitations, nodes):
  get RESOURCE [NAME]  list, or show one (-o table|json|yaml|name, -l SELECTOR, --watch)
  describe RESOURCE NAME
                       everything about one resource, for people
  create RESOURCE      create a space, role, token, service, schedule, join-token or invitation
  delete RESOURCE NAME delete (or revoke, for agents and tokens)
  edit service NAME    change a service's spec in $EDITOR

Work:
  exec SELECTOR -- CMD ...
                       run a command on every matching agent, output live
  logs service NAME    the logs of every replica (-f to follow, --tail N)
  scale service NAME N set a service's replicas and follow the rollout
  pause|resume schedule NAME
                       stop a schedule, or start it again from now
  fires SCHEDULE       the history of a schedule's fires (started, failed, skipped, missed)
  kv COMMAND           the space's key-value store: get, put, delete, ls, history, touch, watch
  pub TOPIC MESSAGE    publish to a durable topic; sub TOPIC SUBSCRIPTION consumes (and acks)
  deploy validate|plan|apply FILE, deploy status|history NAME
                       deployment files: check, plan in waves, apply through agents
  rollout ACTION service NAME
                       status | restart | rollback [--to-version N] | stop | start

Administration (application administrators):
  backup create [-o FILE]
                       an online backup of risd's database
  get nodes, describe node ID
                       the risd servers of the cluster, their leases and agents

Other:
  completion bash|zsh  shell completion script
  version              risctl's version

Global flags:
  --context NAME       use this context instead of the current one
  -s, --space NAME     use this space instead of the context's default
  --config FILE        contexts file (default $RISCTL_CONFIG or ~/.config/ris/config)
  -h, --help           help for any command

Examples:
  risctl login https://ris.example.com:8057 --user alice --ca-file ca.crt
  risctl login https://ris1:8057,https://ris2:8057 --user alice --ca-file ca.crt
  risctl get agents -l env=prod
  risctl exec 'role in (web,cache)' -- systemctl restart nginx
  risctl scale service web 3
)";
  return text;
}

const std::string* command_help(const std::string& command) {
  static const std::map<std::string, std::string> texts{
      {"login", R"(Usage: risctl login URL [--user NAME] [--ca-file FILE | --ca-hash sha256:HEX]
                    [--password-stdin] [--totp CODE] [--name CONTEXT] [--space NAME]

Signs in (password, then the 2FA code when the account has it on) and saves the session as a
context in ~/.config/ris/config (mode 0600). The server is trusted by its CA: a CA file, the
SHA-256 pin risd prints at its first start (the CA is then saved with the context), or — with
neither — the system's trust store.

URL may list several servers of one cluster, separated by commas (they share a CA): every
command tries them in order and moves on to the next while one cannot be reached (connection
refused, timeout); an error the server answers with is final.

  --user NAME          email or username (asked when on a terminal)
  --password-stdin     read the password from standard input (scripts)
  --totp CODE          the 2FA code (asked when on a terminal)
  --name CONTEXT       the context's name (default: the server's host:port)
  --space NAME         the default space (default: your only or first space)

Examples:
  risctl login https://127.0.0.1:8057 --user admin --ca-file data/tls/ca.crt
  echo "$PASSWORD" | risctl login https://ris:8057 --user ci --ca-hash sha256:9f… --password-stdin
  risctl login https://ris1:8057,https://ris2:8057,https://ris3:8057 --user admin --ca-file ca.crt
)"},
      {"logout", R"(Usage: risctl logout [--context NAME]

Ends the session on the server (the refresh token is revoked) and forgets its tokens; the
context stays, so "risctl login" can sign in again.
)"},
      {"context", R"(Usage: risctl context [list]          the contexts, the current one marked *
       risctl context use NAME      make NAME the current context
       risctl context set-space NAME
                                    the default space of the current context
       risctl context delete NAME   forget a context

Example:
  risctl context use prod && risctl context set-space payments
)"},
      {"get", R"(Usage: risctl get RESOURCE [NAME] [-o table|json|yaml|name] [-l SELECTOR] [--watch]

RESOURCE: agents (ag), tasks, services (svc), spaces, members, roles, tokens, audit,
invitations, nodes (node: the risd servers of the cluster, for application administrators;
the one that answered is marked as self). NAME is a name or an id.

  -o, --output FORMAT  table (default), json, yaml, or name
  -l, --selector SEL   agents only: a label selector (env=prod,role in (web,db),!canary)
  -w, --watch          keep listing changes as they happen (agents, tasks, services)
  --state STATE        tasks only: runs in this state
  --limit N            tasks and audit: at most N
  --actor ID, --action NAME, --outcome success|failure
                       audit only: filters

Examples:
  risctl get agents -l env=prod
  risctl get services -o yaml
  risctl get agents --watch
  risctl get audit --action task.create --limit 20
  risctl get nodes
)"},
      {"describe", R"(Usage: risctl describe RESOURCE NAME

Everything about one resource: an agent with its health, a task with its runs, a service with
its replicas and history, a node (risd server) with its lease and agents.

Examples:
  risctl describe agent web-1
  risctl describe node risd-2
)"},
      {"create", R"(Usage: risctl create space NAME [--description TEXT]
       risctl create role NAME [--permissions P1,P2] [--color HEX]
       risctl create token NAME --permissions P1,P2 [--ttl SECONDS]
       risctl create service -f SPEC.json      (or - for standard input)
       risctl create schedule [NAME] -f SPEC.json
       risctl create join-token [--labels k=v,k2=v2] [--uses N] [--ttl SECONDS]
       risctl create invitation [--uses N] [--ttl SECONDS]

Examples:
  risctl create role operators --permissions VIEW_AGENTS,RUN_TASKS
  risctl create join-token --labels env=prod,role=web --uses 10
  risctl create service -f web.json
  risctl create schedule nightly -f nightly.json   (docs/schedules.md: the fields)
)"},
      {"kv", R"(Usage: risctl kv get KEY [-o json|yaml]
       risctl kv put KEY VALUE | -f FILE (- for standard input) [--json] [--create-only]
                     [--expected-revision N] [--ttl SECONDS]
       risctl kv delete KEY [--expected-revision N]
       risctl kv ls [PREFIX] [-o json|yaml]
       risctl kv history KEY
       risctl kv touch KEY --ttl SECONDS
       risctl kv watch [PREFIX] [--from-revision N] [-o json]

Keys hold text, JSON (--json: checked) or bytes (-f FILE). Every write gives the space a new
revision; --expected-revision N writes only if the key is still at revision N (0: only if it
does not exist), --create-only only if it does not exist — otherwise exit 1 with the revision
it is at. A key with --ttl disappears after that many seconds unless touched again.
watch prints each change (REVISION OP KEY [VALUE]) from now, or from --from-revision N; when
its server goes away it goes on from the last revision it printed, on the context's next server.

Examples:
  risctl kv put config/web/port 8080
  risctl kv put config/web/limits --json '{"rps": 100}' --expected-revision 7
  risctl kv watch config/ --from-revision 42
)"},
      {"deploy", R"(Usage: risctl deploy validate FILE [--env ENVIRONMENT] [--check-hosts]
       risctl deploy plan FILE [--env ENVIRONMENT] [--name NAME] [-o json]
       risctl deploy apply FILE [--env ENVIRONMENT] [--name NAME] [--plan-hash HASH]
                            [--on-failure stop|rollback] [--no-wait]
       risctl deploy diff FILE ENVIRONMENT OTHER-ENVIRONMENT
       risctl deploy rollback NAME --to REVISION [--env ENVIRONMENT] [--no-wait]
       risctl deploy drift NAME [--env ENVIRONMENT] [--repair]
       risctl deploy resume NAME [--env ENVIRONMENT]
       risctl deploy status NAME [--env ENVIRONMENT] [-o json]
       risctl deploy history NAME [--env ENVIRONMENT] [-o json]
       risctl deploy secret set NAME [--file PATH]   (else the value from standard input)
       risctl deploy secret list
       risctl deploy secret rm NAME

A deployment file (YAML, docs/deploy.md) names nodes (agents by id or labels, or SSH hosts)
and the services that run on them (docker, shell or config), with depends_on, health checks,
variables and per-environment overrides. validate reads it here, without a server, and prints
every problem as FILE:LINE:COLUMN: MESSAGE (exit 1), cycles named; --check-hosts also has the
server reach each SSH node (its key secret, its pinned host key). plan compares it with the
environment's last applied revision: each service created, updated (the fields), removed or
unchanged, in waves (a wave runs after everything it depends on), and the plan's hash. apply
makes a new revision and follows it wave by wave until it is applied (exit 0) or failed (exit 1);
--plan-hash refuses if the plan has changed since you read it. A step that fails stops the
revision, or with --on-failure rollback (or on_failure: rollback in the file) starts a revision
that returns what it touched to the last applied revision. rollback --to N returns the
environment to revision N (one that was applied). drift checks each config file of the last
applied revision on its nodes (content, mode, owner): exit 0 when all are in sync, 3 when one
drifted; --repair places drifted files again and reloads. diff compares two environments of a file,
service by service, without a server. NAME defaults to the file's name without its extension.
FILE - reads standard input. A revision whose server stopped mid-apply is finished by the
server that holds the deployer duty next (from its journal); resume follows it again. Secrets (an SSH node's key, ${secret:NAME} in values) are set with
deploy secret set; their values are never shown again.

Examples:
  risctl deploy validate deploy.yaml --env prod
  risctl deploy plan deploy.yaml --env prod
  risctl deploy apply deploy.yaml --env prod --plan-hash sha256:4f2a…
  risctl deploy status deploy --env prod
  risctl deploy diff deploy.yaml staging prod
  risctl deploy rollback deploy --env prod --to 12
  risctl deploy secret set deploy-key --file ~/.ssh/id_ed25519
)"},
      {"pub", R"(Usage: risctl pub TOPIC MESSAGE [--json]
       risctl pub TOPIC -f -             (the message from standard input)

Publishes one message to a durable topic of the space (docs/queues.md) and prints its seq.

Example:
  risctl pub jobs '{"build": 42}' --json
)"},
      {"sub", R"(Usage: risctl sub TOPIC SUBSCRIPTION [--limit N] [-o json]

Consumes the subscription: prints each message (SEQ BODY) and acknowledges it, until Ctrl-C or
--limit messages. Several risctl sub of one subscription share its messages.

Example:
  risctl sub jobs workers --limit 10
)"},
      {"pause", R"(Usage: risctl pause schedule NAME

Stops the schedule: nothing fires and nothing is counted as missed until it is resumed.
)"},
      {"resume", R"(Usage: risctl resume schedule NAME

Starts a paused schedule again, from now on (what fell due while paused does not fire).
)"},
      {"fires", R"(Usage: risctl fires SCHEDULE [--limit N] [-o table|json|yaml]

The newest fires of a schedule: when each was due, its state (due, starting, started, failed,
skipped, missed), the attempt, when it fired, its task and why it failed, was skipped or missed.

Example:
  risctl fires nightly --limit 50
)"},
      {"delete", R"(Usage: risctl delete RESOURCE NAME

services, roles, tokens (revoked), invitations, spaces, agents (revoked: the agent is
disconnected and refused from then on).

Example:
  risctl delete service web
)"},
      {"edit", R"(Usage: risctl edit service NAME

Opens the service's spec in $EDITOR (vi when unset); saving a changed spec creates a new
version and rolls it out. Secrets show as "********": leave them so to keep them.
)"},
      {"exec", R"(Usage: risctl exec SELECTOR [--one] [--timeout SECONDS] -- COMMAND [ARGS...]

Runs COMMAND on every agent matching SELECTOR (a label selector, or "all"), streams each
output line prefixed with the agent's name, and ends with a summary per agent. Exits 1 when
any run failed, timed out or was lost; Ctrl-C cancels the runs (exit 130).

  --one                run on one matching agent (the least busy; moved if it is lost)
  --timeout SECONDS    per run (default 300)
  --ttl SECONDS        how long a run waits for an offline agent before it is lost (default 60)
  --script             run COMMAND as a /bin/sh -c script

Examples:
  risctl exec env=prod -- uptime
  risctl exec 'role in (db)' --one -- pg_dumpall -f /backup/all.sql
  risctl exec all --script -- 'df -h / | tail -1'
)"},
      {"logs", R"(Usage: risctl logs service NAME [--tail N] [-F | --follow]

The logs of every replica of the service on every targeted agent, each line prefixed with the
agent's and the container's names. --tail: the last N lines of each (default 100). --follow
keeps streaming until Ctrl-C.

Examples:
  risctl logs service web --tail 20
  risctl logs service web --follow
)"},
      {"scale", R"(Usage: risctl scale service NAME REPLICAS [--no-wait] [--timeout SECONDS]

Sets the replicas per targeted agent and follows the change until every agent runs them
(progress on a terminal, lines otherwise).

Example:
  risctl scale service web 3
)"},
      {"rollout", R"(Usage: risctl rollout status|restart|rollback|stop|start service NAME
                      [--to-version N] [--no-wait] [--timeout SECONDS]

  status     follow the current rollout until it completes or fails (exit 1 when it failed)
  restart    new containers of the same spec, rolled like an update
  rollback   back to the previous version (or --to-version N)
  stop/start stop or start every replica

Example:
  risctl rollout rollback service web --to-version 3
)"},
      {"backup", R"(Usage: risctl backup create [-o FILE]

Takes a consistent online backup of risd's SQLite database while it serves (SQLite's backup
API) and writes it to FILE with mode 0600 — by default ris-backup-<UTC time>.db in the current
directory; "-o -" writes it to standard output. Needs the ApplicationAdministrator role (a
signed-in session, not an API token); the backup is recorded in the audit log with its SHA-256.
Databases over 64 MiB are too large for risctl to receive: use risd's scheduled backups
(--backup-interval) instead. On PostgreSQL risd refuses: use pg_dump or pg_basebackup.

Restore with `risd restore FILE --data-dir NEW_DIR` (docs/operations.md).

Examples:
  risctl backup create
  risctl backup create -o /var/backups/ris/ris.db
  risctl backup create -o - | zstd > ris-$(date -u +%F).db.zst
)"},
      {"completion", R"(Usage: risctl completion bash|zsh

Prints a completion script. Load it with:
  source <(risctl completion bash)          # bash, e.g. in ~/.bashrc
  risctl completion zsh > "${fpath[1]}/_risctl"   # zsh
)"},
  };
  auto it = texts.find(command);
  return it == texts.end() ? nullptr : &it->second;
}

}  // namespace ris::cli
