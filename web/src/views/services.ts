// Services: replica status per agent, and the actions people take most (scale, restart,
// rollback, stop/start, logs), all live through the "services" topic.
import { call } from "../api";
import { ago, badge, h, notice, replace } from "../dom";
import { subscribe } from "../events";
import type { ViewContext } from "../app";
import { go } from "../app";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Replica = { replica?: number; container_id?: string; name?: string; version?: number; state?: string; health?: string; restarts?: number; exit_code?: number; started_at?: string; [k: string]: any };
type AgentStatus = { agent_id: string; connected: boolean; error?: string; replicas?: Replica[]; drift?: { at: string; message: string }[] };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Service = { id: string; name: string; version: number; state: string; replicas: number; running: number; desired: number; rollout: { state: string; error?: string }; spec: any; agents: AgentStatus[]; updated_at: string };

function debounced(fn: () => void): () => void {
  let timer = 0;
  return () => {
    if (!timer) timer = window.setTimeout(() => ((timer = 0), fn()), 400);
  };
}

export function servicesView(el: HTMLElement, ctx: ViewContext): () => void {
  const body = h("tbody");
  const message = h("div");
  const load = async () => {
    try {
      const { items } = await call<{ items: Service[] }>("GET", `/api/v1/spaces/${ctx.space.id}/services`);
      replace(message);
      replace(
        body,
        items.length
          ? items.map((s) =>
              h(
                "tr",
                { "data-service": s.name },
                h("td", {}, h("a", { href: `#/services/${s.name}` }, s.name)),
                h("td", { class: "mono" }, s.spec?.image ?? ""),
                h("td", {}, badge(s.state)),
                h("td", { class: "num running" }, `${s.running}/${s.desired}`),
                h("td", {}, `v${s.version}`),
                h("td", {}, s.rollout?.state ? badge(s.rollout.state) : ""),
                h("td", { class: "muted" }, ago(s.updated_at)),
              ),
            )
          : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No services. Create one with the API or risctl create service -f spec.json.")),
      );
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  const unsubscribe = subscribe({ topic: "services", space: ctx.space.id }, debounced(() => void load()));
  void load();
  replace(
    el,
    h("h1", {}, "Services"),
    message,
    h("div", { class: "scroll" }, h("table", { id: "services" }, h("thead", {}, h("tr", {}, ["Name", "Image", "State", "Running", "Version", "Rollout", "Updated"].map((c) => h("th", {}, c)))), body)),
  );
  return unsubscribe;
}

export async function serviceView(el: HTMLElement, ctx: ViewContext): Promise<() => void> {
  const name = ctx.params[0];
  const base = `/api/v1/spaces/${ctx.space.id}/services/${encodeURIComponent(name)}`;
  const message = h("div", { "aria-live": "polite" });
  const summary = h("div");
  const agentsEl = h("div");
  const historyEl = h("tbody");
  const replicas = h("input", { type: "number", min: 0, max: 64, name: "replicas", "aria-label": "Replicas per agent", class: "short" });
  const versionSelect = h("select", { "aria-label": "Version to roll back to", name: "version" });
  let names = new Map<string, string>();
  let svc: Service;
  const rollback = h(
    "span",
    { class: "inline" },
    versionSelect,
    h("button", { onclick: () => void act("rollback", versionSelect.value ? { version: Number(versionSelect.value) } : undefined) }, "Roll back"),
  );

  const act = async (path: string, body?: unknown) => {
    try {
      svc = await call<Service>("POST", `${base}/${path}`, body);
      replace(message, notice(`${path} requested`, "ok"));
      draw();
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  const draw = () => {
    replicas.value = String(svc.replicas);
    replace(
      summary,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Image"),
        h("dd", { class: "mono" }, svc.spec?.image ?? ""),
        h("dt", {}, "State"),
        h("dd", {}, badge(svc.state)),
        h("dt", {}, "Running"),
        h("dd", { id: "running" }, `${svc.running}/${svc.desired}`),
        h("dt", {}, "Version"),
        h("dd", {}, `v${svc.version}`),
        h("dt", {}, "Rollout"),
        h("dd", {}, badge(svc.rollout?.state ?? ""), svc.rollout?.error ? h("span", { class: "muted" }, ` ${svc.rollout.error}`) : null),
      ),
    );
    replace(
      agentsEl,
      svc.agents.length
        ? svc.agents.map((a) =>
            h(
              "section",
              { class: "card" },
              h("h3", {}, names.get(a.agent_id) ?? a.agent_id, " ", a.connected ? badge("online") : badge("offline")),
              a.error ? notice(a.error) : null,
              h(
                "table",
                {},
                h("thead", {}, h("tr", {}, ["Replica", "Container", "Version", "State", "Health", "Restarts", "Started"].map((c) => h("th", {}, c)))),
                h(
                  "tbody",
                  {},
                  (a.replicas ?? []).map((r) =>
                    h("tr", {}, h("td", {}, String(r.replica ?? "")), h("td", { class: "mono" }, r.name ?? r.container_id ?? ""), h("td", {}, r.version ? `v${r.version}` : ""), h("td", {}, badge(r.state ?? "")), h("td", {}, r.health ?? ""), h("td", {}, String(r.restarts ?? 0)), h("td", { class: "muted" }, ago(r.started_at))),
                  ),
                ),
              ),
              a.drift?.length ? h("details", {}, h("summary", {}, `Drift repaired (${a.drift.length})`), h("ul", {}, a.drift.map((d) => h("li", {}, `${ago(d.at)}: ${d.message}`)))) : null,
            ),
          )
        : h("p", { class: "muted" }, "No agent matches this service's target."),
    );
  };
  const loadHistory = async () => {
    const { items } = await call<{ items: { version: number; reason: string; created_at: string; created_by: string }[] }>("GET", `${base}/history`);
    replace(historyEl, items.map((v) => h("tr", {}, h("td", {}, `v${v.version}`), h("td", {}, v.reason), h("td", { class: "muted" }, ago(v.created_at)))));
    const older = items.filter((v) => v.version !== svc.version);
    replace(versionSelect, older.map((v) => h("option", { value: v.version }, `v${v.version} (${v.reason})`)));
    rollback.hidden = older.length === 0;
  };
  const load = async () => {
    svc = await call<Service>("GET", base);
    draw();
    await loadHistory();
  };
  const unsubscribe = subscribe(
    { topic: "services", space: ctx.space.id },
    debounced(() => void load().catch(() => undefined)),
  );
  try {
    const { items } = await call<{ items: { id: string; name: string }[] }>("GET", `/api/v1/spaces/${ctx.space.id}/agents`);
    names = new Map(items.map((a) => [a.id, a.name]));
    await load();
  } catch (e) {
    replace(el, notice((e as Error).message));
    return unsubscribe;
  }
  const actions = h(
    "div",
    { class: "actions card" },
    h(
      "form",
      {
        class: "inline",
        id: "scale-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act("scale", { replicas: Number(replicas.value) });
        },
      },
      h("label", {}, "Replicas per agent ", replicas),
      h("button", { type: "submit" }, "Scale"),
    ),
    h("button", { onclick: () => void act("restart") }, "Restart"),
    rollback,
    h("button", { class: "ghost", onclick: () => void act(svc.state === "stopped" ? "start" : "stop") }, "Stop / start"),
    h(
      "button",
      {
        class: "ghost",
        onclick: async () => {
          try {
            const r = await call<{ task_id: string }>("POST", `${base}/logs`, { tail: 200 });
            go(`tasks/${r.task_id}`);
          } catch (e) {
            replace(message, notice((e as Error).message));
          }
        },
      },
      "Logs",
    ),
  );
  replace(el, h("h1", {}, svc!.name), message, actions, summary, h("h2", {}, "Replicas"), agentsEl, h("h2", {}, "History"), h("table", {}, historyEl));
  return unsubscribe;
}
