// Task history with filters, and one task: its runs with live state and output.
import { call } from "../api";
import { ago, badge, h, notice, replace } from "../dom";
import { subscribe } from "../events";
import type { ViewContext } from "../app";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Run = { id: string; agent_id: string; state: string; exit_code: number | null; error: string | null; started_at: string | null; finished_at: string | null; attempt: number; result?: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Task = { id: string; type: string; mode: string; spec: any; created_at: string; created_by: string; runs: Run[] };

const FINAL = new Set(["succeeded", "failed", "timed_out", "cancelled", "lost"]);

async function agentNames(space: string): Promise<Map<string, string>> {
  const { items } = await call<{ items: { id: string; name: string }[] }>("GET", `/api/v1/spaces/${space}/agents`);
  return new Map(items.map((a) => [a.id, a.name]));
}

export function tasksView(el: HTMLElement, ctx: ViewContext): () => void {
  const state = h(
    "select",
    { name: "state", "aria-label": "Run state" },
    ["", "pending", "dispatched", "running", "succeeded", "failed", "timed_out", "cancelled", "lost"].map((s) => h("option", { value: s }, s || "any state")),
  );
  const agent = h("select", { name: "agent", "aria-label": "Agent" }, h("option", { value: "" }, "any agent"));
  const body = h("tbody");
  const message = h("div");
  let names = new Map<string, string>();
  let timer = 0;
  const load = async () => {
    try {
      const q = new URLSearchParams();
      if (state.value) q.set("state", state.value);
      if (agent.value) q.set("agent", agent.value);
      q.set("limit", "100");
      const { items } = await call<{ items: Task[] }>("GET", `/api/v1/spaces/${ctx.space.id}/tasks?${q}`);
      replace(message);
      replace(
        body,
        items.length
          ? items.map((t) => {
              const counts = new Map<string, number>();
              for (const r of t.runs ?? []) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
              return h(
                "tr",
                {},
                h("td", {}, h("a", { href: `#/tasks/${t.id}`, class: "mono" }, t.id.slice(-12))),
                h("td", {}, t.type),
                h("td", { class: "mono ellipsis" }, describeSpec(t)),
                h("td", {}, [...counts].map(([s, n]) => h("span", {}, badge(s), ` ${n} `))),
                h("td", { class: "muted" }, ago(t.created_at)),
              );
            })
          : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No tasks match.")),
      );
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  const unsubscribe = subscribe({ topic: "tasks", space: ctx.space.id }, () => {
    if (!timer) timer = window.setTimeout(() => ((timer = 0), void load()), 500);
  });
  void agentNames(ctx.space.id).then((n) => {
    names = n;
    for (const [id, name] of names) agent.append(h("option", { value: id }, name));
  });
  state.addEventListener("change", () => void load());
  agent.addEventListener("change", () => void load());
  void load();
  replace(
    el,
    h("div", { class: "toolbar" }, h("h1", {}, "Tasks"), h("span", { class: "spacer" }), h("a", { class: "button", href: "#/run" }, "Run a task")),
    h("div", { class: "filters" }, state, agent),
    message,
    h("div", { class: "scroll" }, h("table", { id: "tasks" }, h("thead", {}, h("tr", {}, h("th", {}, "Task"), h("th", {}, "Type"), h("th", {}, "What"), h("th", {}, "Runs"), h("th", {}, "Created"))), body)),
  );
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}

function describeSpec(t: Task): string {
  const p = t.spec?.parameters ?? {};
  if (p.script) return p.script;
  if (Array.isArray(p.argv)) return p.argv.join(" ");
  if (p.action) return `${p.action}`;
  if (p.url) return `${p.method ?? "GET"} ${p.url}`;
  return "";
}

// One task: runs with live state, output per run (from the API, then live; a gap in chunk
// numbers is filled from the API so every chunk shows once and in order).
export async function taskView(el: HTMLElement, ctx: ViewContext): Promise<() => void> {
  const id = ctx.params[0];
  const base = `/api/v1/spaces/${ctx.space.id}`;
  const names = await agentNames(ctx.space.id);
  const runsEl = h("div", { class: "runs" });
  const message = h("div");
  const outputs = new Map<string, { pre: HTMLElement; next: number; state: HTMLElement; info: HTMLElement; early: Map<number, string> }>();
  let task: Task;

  const append = (runId: string, seq: number, data: string) => {
    const o = outputs.get(runId);
    if (!o || seq < o.next) return;
    if (seq > o.next) {
      o.early.set(seq, data);
      void catchUp(runId);
      return;
    }
    o.pre.append(data);
    o.next++;
    while (o.early.has(o.next)) {
      o.pre.append(o.early.get(o.next)!);
      o.early.delete(o.next++);
    }
  };
  const catchUp = async (runId: string) => {
    const o = outputs.get(runId);
    if (!o) return;
    const { items } = await call<{ items: { seq: number; data: string }[] }>("GET", `${base}/runs/${runId}/output?after=${o.next - 1}`);
    for (const c of items) append(runId, c.seq, c.data);
  };
  const render = () => {
    for (const r of task.runs) {
      let o = outputs.get(r.id);
      if (!o) {
        o = { pre: h("pre", { class: "output", "data-run": r.id, "aria-live": "polite" }), next: 1, state: h("span"), info: h("span", { class: "muted" }), early: new Map() };
        outputs.set(r.id, o);
        runsEl.append(
          h(
            "section",
            { class: "card run", "data-agent": names.get(r.agent_id) ?? r.agent_id },
            h("div", { class: "toolbar" }, h("h3", {}, names.get(r.agent_id) ?? r.agent_id), o.state, o.info),
            o.pre,
          ),
        );
        void catchUp(r.id);
      }
      replace(o.state, badge(r.state));
      o.info.textContent = [r.exit_code !== null && r.exit_code !== undefined ? `exit ${r.exit_code}` : "", r.error ?? "", r.attempt > 1 ? `attempt ${r.attempt}` : ""].filter(Boolean).join(" · ");
      if (r.result && Object.keys(r.result).length && !o.pre.dataset.result) {
        o.pre.dataset.result = "1";
        if (!o.pre.textContent) o.pre.append(JSON.stringify(r.result, null, 2));
      }
    }
    cancel.hidden = task.runs.every((r) => FINAL.has(r.state));
  };
  // Loads can overlap (the first one, and one per run_state event): only the newest answer is
  // shown, so an older "running" never paints over a newer "succeeded".
  let loads = 0;
  const load = async () => {
    const mine = ++loads;
    const got = await call<Task>("GET", `${base}/tasks/${id}`);
    if (mine !== loads) return;
    task = got;
    render();
  };
  const cancel = h(
    "button",
    {
      class: "danger",
      onclick: async () => {
        try {
          task = await call<Task>("POST", `${base}/tasks/${id}/cancel`);
          render();
        } catch (e) {
          replace(message, notice((e as Error).message));
        }
      },
    },
    "Cancel",
  );
  const unsubscribe = subscribe({ topic: "task", space: ctx.space.id, task: id }, (m) => {
    if (m.type === "run_output") append(m.run, m.seq, m.data);
    else if (m.type === "run_state" || m.type === "reconnected") {
      void load().then(() => {
        if (m.type === "reconnected") for (const runId of outputs.keys()) void catchUp(runId);
      });
    }
  });
  // A state change that happened before the subscription was up has no event: while a run is
  // not final, look again every few seconds as well.
  const poll = window.setInterval(() => {
    if (task && !task.runs.every((r) => FINAL.has(r.state))) void load().catch(() => {});
  }, 3000);
  const stop = () => {
    window.clearInterval(poll);
    unsubscribe();
  };
  try {
    await load();
  } catch (e) {
    replace(el, notice((e as Error).message));
    return stop;
  }
  replace(
    el,
    h("div", { class: "toolbar" }, h("h1", {}, `Task ${describeSpec(task!) || task!.type}`), h("span", { class: "spacer" }), cancel),
    h("p", { class: "muted" }, `${task!.type} · mode ${task!.mode} · created ${ago(task!.created_at)} · `, h("span", { class: "mono" }, id)),
    message,
    runsEl,
  );
  return stop;
}
