// Agents: live status, labels and health; filter by a label selector; select agents to run a
// task on them.
import { call } from "../api";
import { ago, badge, h, labels, notice, percent, replace } from "../dom";
import { subscribe } from "../events";
import type { ViewContext } from "../app";
import { go } from "../app";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Agent = { id: string; name: string; status: string; hostname: string; labels: Record<string, string>; health: any; last_seen: string; os: string; agent_version: string; capabilities: string[] };

export function agentsView(el: HTMLElement, ctx: ViewContext): () => void {
  const selector = h("input", {
    name: "selector",
    placeholder: "env=prod,role in (web,db)",
    "aria-label": "Label selector",
    value: ctx.query.get("selector") ?? "",
  });
  const message = h("div");
  const table = h("tbody");
  const count = h("span", { class: "muted" });
  const selected = new Set<string>();
  const runButton = h(
    "button",
    {
      disabled: true,
      onclick: () => go(`run?agents=${[...selected].join(",")}`),
    },
    "Run on selected",
  );
  // Rows by agent id: heartbeats and status changes update their row in place (a fleet of
  // thousands sends a heartbeat every few milliseconds); only an agent not shown yet, or a
  // reconnect, lists again.
  const rows = new Map<string, { agent: Agent; tr: HTMLTableRowElement }>();
  let timer = 0;
  const load = async () => {
    try {
      const q = selector.value ? `?selector=${encodeURIComponent(selector.value)}` : "";
      const { items } = await call<{ items: Agent[] }>("GET", `/api/v1/spaces/${ctx.space.id}/agents${q}`);
      replace(message);
      rows.clear();
      for (const a of items) rows.set(a.id, { agent: a, tr: row(a) });
      updateCount();
      replace(
        table,
        items.length
          ? [...rows.values()].map((r) => r.tr)
          : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No agents yet: create a join token under Tokens & invites.")),
      );
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  const updateCount = () => {
    const all = [...rows.values()];
    count.textContent = `${all.length} agent${all.length === 1 ? "" : "s"}, ${all.filter((r) => r.agent.status === "online").length} online`;
  };
  const relist = () => {
    if (!timer) timer = window.setTimeout(() => ((timer = 0), void load()), 500);
  };
  const row = (a: Agent): HTMLTableRowElement => {
    const box = h("input", {
      type: "checkbox",
      "aria-label": `Select ${a.name}`,
      checked: selected.has(a.id),
      onchange: (e: Event) => {
        if ((e.target as HTMLInputElement).checked) selected.add(a.id);
        else selected.delete(a.id);
        runButton.disabled = selected.size === 0;
      },
    });
    const hl = a.health ?? {};
    return h(
      "tr",
      { "data-agent": a.name },
      h("td", {}, box),
      h("td", {}, h("a", { href: `#/agents/${a.id}` }, a.name)),
      h("td", {}, badge(a.status)),
      h("td", {}, labels(a.labels)),
      h("td", { class: "num" }, hl.load_1m !== undefined ? Number(hl.load_1m).toFixed(2) : ""),
      h("td", { class: "num" }, percent(hl.memory_used_bytes, hl.memory_total_bytes)),
      h("td", { class: "muted" }, ago(a.last_seen)),
    );
  };
  // Subscribed first, listed second: no change falls in between.
  const unsubscribe = subscribe({ topic: "agents", space: ctx.space.id }, (m) => {
    const shown = m.type === "changed" ? rows.get(m.id) : undefined;
    if (!shown || (m.event !== "heartbeat" && m.event !== "connected" && m.event !== "disconnected")) return relist();
    const a = shown.agent;
    if (m.event === "heartbeat") {
      a.health = m.health;
      a.last_seen = new Date().toISOString();
      a.status = "online";
    } else {
      a.status = m.event === "connected" ? "online" : "offline";
    }
    const tr = row(a);
    shown.tr.replaceWith(tr);
    shown.tr = tr;
    updateCount();
  });
  void load();
  replace(
    el,
    h("div", { class: "toolbar" }, h("h1", {}, "Agents"), count, h("span", { class: "spacer" }), runButton),
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void load();
        },
      },
      selector,
      h("button", { type: "submit", class: "ghost" }, "Filter"),
    ),
    message,
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { id: "agents" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "Name"), h("th", {}, "Status"), h("th", {}, "Labels"), h("th", {}, "Load"), h("th", {}, "Memory"), h("th", {}, "Last seen"))),
        table,
      ),
    ),
  );
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}
