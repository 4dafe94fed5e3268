// One agent: facts, labels, and charts of load, CPU, memory and disk over its recent
// heartbeats (risd keeps 720), extended live as heartbeats arrive.
import { call } from "../api";
import { ago, badge, h, labels, notice, replace } from "../dom";
import { subscribe } from "../events";
import { lineChart, type Point } from "../chart";
import type { ViewContext } from "../app";
import { go } from "../app";
import type { Agent } from "./agents";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Sample = Record<string, any>;

export async function agentView(el: HTMLElement, ctx: ViewContext): Promise<() => void> {
  const id = ctx.params[0];
  const base = `/api/v1/spaces/${ctx.space.id}/agents/${id}`;
  const facts = h("div");
  const charts = h("div", { class: "charts" });
  const message = h("div");
  let samples: Sample[] = [];
  let agent: Agent;

  const drawCharts = () => {
    const series = (f: (s: Sample) => number | undefined): Point[] =>
      samples
        .map((s) => ({ t: Date.parse(s.time), v: f(s) }))
        .filter((p): p is Point => p.v !== undefined && !Number.isNaN(p.v) && !Number.isNaN(p.t));
    const pct = (a: string, b: string) => (s: Sample) => (s[b] ? (100 * s[a]) / s[b] : undefined);
    replace(
      charts,
      lineChart("Load (1 min)", series((s) => s.load_1m), ""),
      lineChart("CPU", series((s) => s.cpu_percent), "%", 100),
      lineChart("Memory", series(pct("memory_used_bytes", "memory_total_bytes")), "%", 100),
      lineChart("Disk", series(pct("disk_used_bytes", "disk_total_bytes")), "%", 100),
    );
  };
  const drawFacts = () => {
    replace(
      facts,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Status"),
        h("dd", {}, badge(agent.status)),
        h("dt", {}, "Hostname"),
        h("dd", {}, agent.hostname),
        h("dt", {}, "OS"),
        h("dd", {}, agent.os),
        h("dt", {}, "Agent"),
        h("dd", {}, agent.agent_version),
        h("dt", {}, "Runs"),
        h("dd", {}, (agent.capabilities ?? []).join(", ")),
        h("dt", {}, "Labels"),
        h("dd", {}, labels(agent.labels)),
        h("dt", {}, "Last seen"),
        h("dd", {}, ago(agent.last_seen)),
        h("dt", {}, "Id"),
        h("dd", { class: "mono" }, agent.id),
      ),
    );
  };
  const load = async () => {
    agent = await call<Agent>("GET", base);
    const health = await call<{ history?: Sample[] }>("GET", `${base}/health?history=360`);
    samples = (health.history ?? []).slice().sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    drawFacts();
    drawCharts();
  };
  const unsubscribe = subscribe({ topic: "agents", space: ctx.space.id }, (m) => {
    if (m.type === "reconnected") return void load().catch(() => undefined);
    if (m.id !== id) return;
    if (m.event === "heartbeat" && m.health) {
      samples.push({ ...m.health, time: new Date().toISOString() });
      if (samples.length > 720) samples.shift();
      agent.last_seen = new Date().toISOString();
      agent.status = "online";
      drawCharts();
      drawFacts();
    } else {
      void load().catch(() => undefined);
    }
  });
  try {
    await load();
  } catch (e) {
    replace(el, notice((e as Error).message));
    return unsubscribe;
  }
  replace(
    el,
    h(
      "div",
      { class: "toolbar" },
      h("h1", {}, agent!.name),
      h("span", { class: "spacer" }),
      h("button", { onclick: () => go(`run?agents=${id}`) }, "Run a task here"),
    ),
    message,
    facts,
    h("h2", {}, "Health"),
    charts,
  );
  return unsubscribe;
}
