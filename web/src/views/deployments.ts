// Deployments (docs/deploy.md): a file pasted or uploaded, validated (each problem at its line and
// column, a click puts the cursor there), planned (waves, each service with its change and the
// fields that differ) and applied with the hash of the plan shown (a stale plan: the server's
// 409). A deployment's revisions, and one revision's steps by wave, refreshed every 2 s while
// it applies (the server publishes no deploy events). The list of deployments comes from the
// server (GET …/deployments); the ones used here are also remembered locally, as a fallback.
import { ApiError, call } from "../api";
import { ago, badge, field, h, notice, replace } from "../dom";
import type { ViewContext } from "../app";
import { go } from "../app";

interface Problem {
  line: number;
  column: number;
  message: string;
}
interface PlanStep {
  service: string;
  change: string;
  fields?: string[];
  nodes?: string[];
}
interface Plan {
  environment: string;
  waves: PlanStep[][];
  hash: string;
  compared_with_revision: number;
}
interface Step {
  service: string;
  node: string;
  wave: number;
  change: string;
  phase: string;
  state: string;
  attempt: number;
  task_id?: string;
  detail?: string;
  started_at?: string;
  finished_at?: string;
}
interface Revision {
  id: string;
  deployment: string;
  environment: string;
  revision: number;
  state: string;
  kind?: string;
  plan_hash: string;
  created_by: string;
  created_at: string;
  detail?: string;
  finished_at?: string;
  steps?: Step[];
  file?: string;
}
interface Recent {
  name: string;
  environment: string;
  at: string;
}

const POLL_MS = 2000;
const NAME = /^[a-z0-9_-]{1,63}$/;
// A revision is live while it is doing something ("applying", and a rollback's "-ing" state).
const live = (state: string) => /ing$/.test(state);
const shortHash = (hash: string) => hash.replace(/^sha256:/, "").slice(0, 12);
const recentKey = (space: string) => `ris.deployments.${space}`;
// What the editor holds, kept while the user visits other pages (and set by "Edit this file").
const drafts = new Map<string, { name: string; environment: string; file: string }>();

function recent(space: string): Recent[] {
  try {
    const list = JSON.parse(localStorage.getItem(recentKey(space)) ?? "[]");
    return Array.isArray(list) ? list.filter((r) => r && typeof r.name === "string") : [];
  } catch {
    return [];
  }
}

function remember(space: string, name: string, environment: string): void {
  const list = recent(space).filter((r) => !(r.name === name && r.environment === environment));
  list.unshift({ name, environment, at: new Date().toISOString() });
  localStorage.setItem(recentKey(space), JSON.stringify(list.slice(0, 20)));
}

function base(ctx: ViewContext): string {
  return `/api/v1/spaces/${ctx.space.id}/deployments`;
}

function revisionHref(name: string, n: number, environment: string): string {
  return `#/deployments/${encodeURIComponent(name)}/${n}${environment ? `?environment=${encodeURIComponent(environment)}` : ""}`;
}

// Account ids to usernames, from the space's members (when this account may read them).
async function people(ctx: ViewContext): Promise<Map<string, string>> {
  const names = new Map<string, string>([[ctx.me.id, ctx.me.username]]);
  try {
    const { items } = await call<{ items: { account_id: string; username: string }[] }>("GET", `/api/v1/spaces/${ctx.space.id}/members`);
    for (const m of items) names.set(m.account_id, m.username);
  } catch {
    /* not allowed to list members: ids are shown */
  }
  return names;
}

// The offset in `text` of 1-based `line` and `column`.
function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  const end = text.indexOf("\n", at);
  return Math.min(at + Math.max(column - 1, 0), end < 0 ? text.length : end);
}

function cursorOf(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

export function deploymentsView(el: HTMLElement, ctx: ViewContext): () => void {
  const draft = drafts.get(ctx.space.id);
  const last = recent(ctx.space.id)[0];
  const name = h("input", { name: "deployment", required: true, placeholder: "shop", pattern: "[a-z0-9_\\-]{1,63}", value: draft?.name ?? last?.name ?? "" });
  const environment = h("input", { name: "environment", placeholder: "base values", value: draft?.environment ?? last?.environment ?? "" });
  const file = h("textarea", { name: "file", rows: 18, spellcheck: "false", class: "mono", placeholder: "version: 1\nnodes:\n  box: {agent: AGENT-ID}\nservices:\n  …" });
  file.value = draft?.file ?? "";
  const cursor = h("small", { class: "muted", id: "deploy-cursor" }, "line 1, column 1");
  const upload = h("input", { type: "file", accept: ".yaml,.yml,text/yaml,text/plain", "aria-label": "Upload a deployment file" });
  const message = h("div", { "aria-live": "polite" });
  const result = h("div", { id: "deploy-result" });
  const applyButton = h("button", { type: "button", id: "deploy-apply", disabled: true }, "Apply");
  const recentEl = h("tbody");
  let shown: { plan: Plan; name: string; environment: string } | null = null;

  const keep = () => drafts.set(ctx.space.id, { name: name.value, environment: environment.value, file: file.value });
  const showCursor = () => (cursor.textContent = cursorOf(file.value, file.selectionStart));
  for (const ev of ["keyup", "click", "select", "focus"]) file.addEventListener(ev, showCursor);
  file.addEventListener("input", () => {
    keep();
    showCursor();
  });
  name.addEventListener("input", keep);
  environment.addEventListener("input", keep);
  upload.addEventListener("change", async () => {
    const f = upload.files?.[0];
    if (!f) return;
    file.value = await f.text();
    if (!name.value) name.value = f.name.replace(/\.(ya?ml)$/i, "").toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
    keep();
    replace(message, notice(`Read ${f.name} (${f.size} bytes).`, "ok"));
  });

  const goTo = (p: Problem) => {
    const at = offsetOf(file.value, p.line, p.column);
    file.focus();
    file.setSelectionRange(at, at);
    // Bring the line into view: the textarea scrolls by lines of its own line height.
    const lineHeight = parseFloat(getComputedStyle(file).lineHeight) || 18;
    file.scrollTop = Math.max(0, (p.line - 3) * lineHeight);
    showCursor();
  };
  const body = () => (environment.value ? { file: file.value, environment: environment.value } : { file: file.value });
  const checkName = () => {
    if (NAME.test(name.value)) return true;
    replace(message, notice("A deployment name is 1 to 63 lower-case letters, digits, '-' or '_'."));
    name.focus();
    return false;
  };
  // A 422 lists the file's problems; anything else is a message.
  const failed = (e: unknown) => {
    const errors = e instanceof ApiError && e.status === 422 ? (e.body.errors as Problem[] | undefined) : undefined;
    if (!errors?.length) {
      replace(message, notice((e as Error).message));
      return;
    }
    replace(message, notice(`${errors.length} problem${errors.length === 1 ? "" : "s"} in the file.`));
    replace(
      result,
      h("h2", {}, "Problems"),
      h(
        "ol",
        { id: "deploy-errors", class: "problems" },
        errors.map((p) =>
          h(
            "li",
            { "data-line": p.line, "data-column": p.column },
            h("button", { type: "button", class: "link mono", title: "Show in the file", onclick: () => goTo(p) }, p.line ? `${p.line}:${p.column}` : "file"),
            " ",
            p.message,
          ),
        ),
      ),
    );
  };
  const clearPlan = () => {
    shown = null;
    applyButton.disabled = true;
    applyButton.textContent = "Apply";
  };

  const validate = async () => {
    clearPlan();
    replace(result);
    try {
      const v = await call<{ environment: string; nodes: number; services: number; waves: number }>("POST", `${base(ctx)}/validate`, body());
      replace(message, notice(`Valid${v.environment ? ` for ${v.environment}` : ""}: ${v.nodes} node${v.nodes === 1 ? "" : "s"}, ${v.services} service${v.services === 1 ? "" : "s"} in ${v.waves} wave${v.waves === 1 ? "" : "s"}.`, "ok"));
    } catch (e) {
      failed(e);
    }
  };
  const plan = async () => {
    if (!checkName()) return;
    clearPlan();
    replace(result);
    try {
      const p = await call<Plan>("POST", `${base(ctx)}/${name.value}/plan`, body());
      shown = { plan: p, name: name.value, environment: environment.value };
      remember(ctx.space.id, name.value, environment.value);
      drawRecent();
      const changes = p.waves.flat().filter((s) => s.change !== "unchanged").length;
      replace(message, notice(changes ? `${changes} change${changes === 1 ? "" : "s"} to apply.` : "Nothing to change: the file is what is applied.", "ok"));
      replace(result, planView(p, name.value));
      applyButton.disabled = false;
      applyButton.textContent = `Apply plan ${shortHash(p.hash)}`;
    } catch (e) {
      failed(e);
    }
  };
  const apply = async () => {
    if (!shown) return;
    const { plan: p, name: n, environment: env } = shown;
    const b: Record<string, string> = { file: file.value, plan_hash: p.hash };
    if (env) b.environment = env;
    try {
      applyButton.disabled = true;
      const r = await call<Revision>("POST", `${base(ctx)}/${n}/apply`, b);
      remember(ctx.space.id, n, env);
      location.hash = revisionHref(n, r.revision, env);
    } catch (e) {
      applyButton.disabled = false;
      if (e instanceof ApiError && e.status === 409) {
        replace(message, notice(`Not applied: ${e.detail || e.title}`));
        return;
      }
      failed(e);
    }
  };
  applyButton.addEventListener("click", () => void apply());

  // The space's deployments, from the server; the ones used here first, remembered locally.
  const drawRecent = async () => {
    let items: { name: string; environment: string; latest: Revision }[] = [];
    try {
      ({ items } = await call<{ items: typeof items }>("GET", base(ctx)));
    } catch {
      items = recent(ctx.space.id).map((r) => ({ name: r.name, environment: r.environment, latest: { state: "", created_at: r.at } as Revision }));
    }
    replace(
      recentEl,
      items.length
        ? items.map((r) =>
            h(
              "tr",
              { "data-deployment": r.name },
              h("td", {}, h("a", { href: `#/deployments/${encodeURIComponent(r.name)}${r.environment ? `?environment=${encodeURIComponent(r.environment)}` : ""}` }, r.name)),
              h("td", {}, r.environment || h("span", { class: "muted" }, "base")),
              h("td", { class: "muted" }, r.latest.created_at ? ago(r.latest.created_at) : ""),
              h("td", {}, r.latest.state ? badge(r.latest.state) : ""),
            ),
          )
        : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "None yet: plan a file, or open a deployment by name.")),
    );
  };
  const openName = h("input", { name: "open_deployment", placeholder: "name", "aria-label": "Deployment name", pattern: "[a-z0-9_\\-]{1,63}", required: true });
  void drawRecent();
  replace(
    el,
    h("h1", {}, "Deployments"),
    h(
      "form",
      { class: "card", id: "deploy-form", onsubmit: (e: Event) => (e.preventDefault(), void plan()) },
      h("div", { class: "row" }, field("Deployment", name, "lower-case letters, digits, - and _"), field("Environment", environment, "empty: the file's base values")),
      h("label", { class: "field" }, h("span", {}, "File (YAML)"), file, cursor),
      h(
        "div",
        { class: "actions" },
        upload,
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "ghost", id: "deploy-validate", onclick: () => void validate() }, "Validate"),
        h("button", { type: "submit", id: "deploy-plan" }, "Plan"),
        applyButton,
      ),
    ),
    message,
    result,
    h("h2", {}, "Recent deployments"),
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e: Event) => {
          e.preventDefault();
          go(`deployments/${encodeURIComponent(openName.value)}`);
        },
      },
      openName,
      h("button", { type: "submit", class: "ghost" }, "Open"),
    ),
    h("div", { class: "scroll" }, h("table", { id: "deployments" }, h("thead", {}, h("tr", {}, ["Name", "Environment", "Latest", "State"].map((c) => h("th", {}, c)))), recentEl)),
  );
  return () => keep();
}

function planView(p: Plan, name: string): HTMLElement {
  return h(
    "section",
    { id: "plan", "data-hash": p.hash },
    h("h2", {}, `Plan for ${name}${p.environment ? ` in ${p.environment}` : ""}`),
    h(
      "p",
      { class: "muted" },
      h("span", { class: "mono", title: p.hash }, p.hash),
      " · ",
      p.compared_with_revision ? h("a", { href: revisionHref(name, p.compared_with_revision, p.environment) }, `against revision ${p.compared_with_revision}`) : "nothing applied yet",
    ),
    p.waves.length
      ? h(
          "ol",
          { class: "waves" },
          p.waves.map((wave, i) =>
            h(
              "li",
              { class: "wave card", "data-wave": i + 1 },
              h("h3", {}, `Wave ${i + 1}`),
              h(
                "ul",
                {},
                wave.map((s) =>
                  h(
                    "li",
                    { "data-service": s.service, "data-change": s.change },
                    h("span", { class: "mono" }, s.service),
                    s.nodes?.length ? h("span", { class: "muted" }, ` on ${s.nodes.join(", ")}`) : null,
                    " ",
                    badge(s.change),
                    s.fields?.length
                      ? h("details", {}, h("summary", {}, `${s.fields.length} field${s.fields.length === 1 ? "" : "s"} differ`), h("ul", { class: "fields mono" }, s.fields.map((f) => h("li", {}, f))))
                      : null,
                  ),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "The file has no services."),
  );
}

// A deployment's revisions, newest first, in every environment or one.
export async function deploymentView(el: HTMLElement, ctx: ViewContext): Promise<() => void> {
  const name = ctx.params[0];
  const environment = h("input", { name: "environment", placeholder: "every environment", "aria-label": "Environment", value: ctx.query.get("environment") ?? "" });
  const message = h("div", { "aria-live": "polite" });
  const rows = h("tbody");
  const names = await people(ctx);
  let timer = 0;
  let stopped = false;
  const load = async () => {
    window.clearTimeout(timer);
    try {
      const q = environment.value ? `?environment=${encodeURIComponent(environment.value)}` : "";
      const { items } = await call<{ items: Revision[] }>("GET", `${base(ctx)}/${encodeURIComponent(name)}/revisions${q}`);
      replace(message);
      replace(
        rows,
        items.length
          ? items.map((r) =>
              h(
                "tr",
                { "data-revision": r.revision, "data-environment": r.environment },
                h("td", { class: "num" }, h("a", { href: revisionHref(name, r.revision, r.environment) }, String(r.revision))),
                h("td", {}, r.environment || h("span", { class: "muted" }, "base")),
                h("td", {}, badge(r.state), r.kind && r.kind !== "apply" ? h("span", { class: "tag" }, r.kind) : null),
                h("td", {}, names.get(r.created_by) ?? r.created_by),
                h("td", { class: "muted", title: r.created_at }, ago(r.created_at)),
                h("td", { class: "mono", title: r.plan_hash }, shortHash(r.plan_hash)),
                h("td", { class: "muted ellipsis", title: r.detail ?? "" }, r.detail ?? ""),
              ),
            )
          : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No revisions: nothing has been applied under this name.")),
      );
      if (items.some((r) => live(r.state)) && !stopped) timer = window.setTimeout(() => void load(), POLL_MS);
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  await load();
  replace(
    el,
    h("p", { class: "muted" }, h("a", { href: "#/deployments" }, "Deployments"), " / "),
    h("h1", {}, name),
    h("form", { class: "filters", onsubmit: (e: Event) => (e.preventDefault(), void load()) }, environment, h("button", { type: "submit", class: "ghost" }, "Show")),
    message,
    h("div", { class: "scroll" }, h("table", { id: "revisions" }, h("thead", {}, h("tr", {}, ["#", "Environment", "State", "By", "When", "Plan", "Detail"].map((c) => h("th", {}, c)))), rows)),
  );
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

function duration(from?: string, to?: string): string {
  if (!from) return "";
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (Number.isNaN(ms)) return "";
  return ms < 1000 ? `${ms} ms` : ms < 120000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60000)} min`;
}

// One revision: its facts and its steps by wave, refreshed while it applies.
export async function revisionView(el: HTMLElement, ctx: ViewContext): Promise<() => void> {
  const [name, number] = ctx.params;
  const environment = ctx.query.get("environment") ?? "";
  const url = `${base(ctx)}/${encodeURIComponent(name)}/revisions/${encodeURIComponent(number)}${environment ? `?environment=${encodeURIComponent(environment)}` : ""}`;
  const message = h("div", { "aria-live": "polite" });
  const facts = h("div");
  const wavesEl = h("div", { id: "steps" });
  const fileEl = h("pre", { class: "output" });
  const names = await people(ctx);
  let timer = 0;
  let stopped = false;
  let r: Revision | undefined;

  const draw = (r: Revision) => {
    replace(
      facts,
      h(
        "dl",
        { class: "facts", id: "revision", "data-state": r.state },
        h("dt", {}, "State"),
        h("dd", { id: "revision-state" }, badge(r.state), r.kind && r.kind !== "apply" ? h("span", { class: "tag" }, r.kind) : null, live(r.state) ? h("span", { class: "muted" }, " refreshing every 2 s") : null),
        h("dt", {}, "Environment"),
        h("dd", {}, r.environment || h("span", { class: "muted" }, "base values")),
        h("dt", {}, "Plan"),
        h("dd", { class: "mono" }, r.plan_hash),
        h("dt", {}, "By"),
        h("dd", {}, names.get(r.created_by) ?? r.created_by),
        h("dt", {}, "Started"),
        h("dd", { title: r.created_at }, ago(r.created_at)),
        h("dt", {}, "Finished"),
        h("dd", { title: r.finished_at ?? "" }, r.finished_at ? `${ago(r.finished_at)} (took ${duration(r.created_at, r.finished_at)})` : "—"),
      ),
      r.detail ? h("div", { class: `notice ${r.state === "applied" ? "ok" : "error"}`, id: "revision-detail" }, h("pre", {}, r.detail)) : null,
    );
    const byWave = new Map<number, Step[]>();
    for (const s of r.steps ?? []) byWave.set(s.wave, [...(byWave.get(s.wave) ?? []), s]);
    replace(
      wavesEl,
      [...byWave.keys()]
        .sort((a, b) => a - b)
        .map((w) => {
          const steps = byWave.get(w)!;
          const done = steps.filter((s) => s.state === "succeeded").length;
          return h(
            "section",
            { class: "card", "data-wave": w },
            h("h3", {}, `Wave ${w} `, h("span", { class: "muted" }, `${done}/${steps.length} done`)),
            h(
              "div",
              { class: "scroll" },
              h(
                "table",
                {},
                h("thead", {}, h("tr", {}, ["Service", "Node", "Change", "Phase", "State", "Attempt", "Task", "Took"].map((c) => h("th", {}, c)))),
                h(
                  "tbody",
                  {},
                  steps.flatMap((s) => [
                    h(
                      "tr",
                      { "data-step": `${s.service}@${s.node}`, "data-state": s.state },
                      h("td", { class: "mono" }, s.service),
                      h("td", { class: "mono" }, s.node),
                      h("td", {}, badge(s.change)),
                      h("td", {}, s.phase),
                      h("td", {}, badge(s.state)),
                      h("td", { class: "num" }, String(s.attempt)),
                      h("td", {}, s.task_id ? h("a", { href: `#/tasks/${s.task_id}`, class: "mono" }, s.task_id.slice(-12)) : ""),
                      h("td", { class: "muted" }, s.finished_at || s.state === "running" ? duration(s.started_at, s.finished_at) : ""),
                    ),
                    s.detail
                      ? h("tr", { class: "detail" }, h("td", { colspan: 8 }, h("pre", { class: `output step-detail${s.state === "failed" ? " failed" : ""}` }, s.detail)))
                      : null,
                  ]),
                ),
              ),
            ),
          );
        }),
      byWave.size ? null : h("p", { class: "muted" }, "This revision has no steps."),
    );
    fileEl.textContent = r.file ?? "";
  };
  const load = async () => {
    window.clearTimeout(timer);
    try {
      r = await call<Revision>("GET", url);
      replace(message);
      draw(r);
    } catch (e) {
      // Shown; a revision that was read goes on being followed (the server may be back soon).
      replace(message, notice((e as Error).message));
    }
    if (!stopped && r && live(r.state)) timer = window.setTimeout(() => void load(), POLL_MS);
  };
  await load();
  const stop = () => {
    stopped = true;
    window.clearTimeout(timer);
  };
  if (!r) {
    replace(el, message);
    return stop;
  }
  const rev = r;
  remember(ctx.space.id, name, environment);
  replace(
    el,
    h("p", { class: "muted" }, h("a", { href: "#/deployments" }, "Deployments"), " / ", h("a", { href: `#/deployments/${encodeURIComponent(name)}${environment ? `?environment=${encodeURIComponent(environment)}` : ""}` }, name), " /"),
    h("h1", {}, `${name} revision ${rev.revision}`),
    h(
      "div",
      { class: "actions", id: "revision-actions" },
      h(
        "button",
        {
          class: "ghost",
          onclick: () => {
            drafts.set(ctx.space.id, { name, environment, file: r?.file ?? rev.file ?? "" });
            go("deployments");
          },
        },
        "Edit this file",
      ),
    ),
    message,
    facts,
    h("h2", {}, "Steps"),
    wavesEl,
    h("details", {}, h("summary", {}, "The file"), fileEl),
  );
  return stop;
}
