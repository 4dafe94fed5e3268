// The instance: health of risd and its parts, connected agents, and request rates read from
// /metrics (two scrapes a few seconds apart give a rate), refreshed every 5 s.
import { call, text } from "../api";
import { h, notice, replace } from "../dom";
import type { ViewContext } from "../app";

// Sums of a metric's samples by one label, from Prometheus' text format.
export function parseMetrics(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.set(m[1] + (m[2] ?? ""), Number(m[3]));
  }
  return out;
}

function sum(metrics: Map<string, number>, name: string, filter = ""): number {
  let total = 0;
  for (const [k, v] of metrics) if ((k === name || k.startsWith(`${name}{`)) && k.includes(filter)) total += v;
  return total;
}

export function instanceView(el: HTMLElement, _ctx: ViewContext): () => void {
  const healthEl = h("div");
  const ratesEl = h("div");
  const message = h("div");
  let previous: { at: number; metrics: Map<string, number> } | null = null;
  const load = async () => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const health = await call<any>("GET", "/health?detailed=true");
      const metrics = parseMetrics(await text("/metrics"));
      const now = Date.now();
      replace(message);
      replace(
        healthEl,
        h(
          "dl",
          { class: "facts", id: "health" },
          h("dt", {}, "Status"),
          h("dd", {}, h("span", { class: `badge s-${health.status === "healthy" ? "succeeded" : "failed"}` }, health.status)),
          Object.entries(health.components ?? {}).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]),
          h("dt", {}, "Uptime"),
          h("dd", {}, `${Math.round((health.uptime_seconds ?? 0) / 60)} min`),
          h("dt", {}, "Version"),
          h("dd", {}, health.version ?? ""),
        ),
      );
      const requests = sum(metrics, "ris_server_requests_total");
      const errors = sum(metrics, "ris_server_requests_total", 'status="5');
      const rate = (a: number, b: number) => (previous ? (((a - b) * 1000) / (now - previous.at)).toFixed(1) : "…");
      replace(
        ratesEl,
        h(
          "dl",
          { class: "facts", id: "rates" },
          h("dt", {}, "Requests/s"),
          h("dd", {}, rate(requests, previous ? sum(previous.metrics, "ris_server_requests_total") : 0)),
          h("dt", {}, "5xx/s"),
          h("dd", {}, rate(errors, previous ? sum(previous.metrics, "ris_server_requests_total", 'status="5') : 0)),
          h("dt", {}, "Agents connected"),
          h("dd", {}, String(sum(metrics, "ris_clients_connected"))),
          h("dt", {}, "Tasks completed"),
          h("dd", {}, String(sum(metrics, "ris_tasks_completed_total"))),
          h("dt", {}, "Resident memory"),
          h("dd", {}, `${Math.round(sum(metrics, "process_resident_memory_bytes") / 1048576)} MiB`),
        ),
      );
      previous = { at: now, metrics };
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  void load();
  const timer = window.setInterval(() => void load(), 5000);
  replace(el, h("h1", {}, "Instance"), message, h("h2", {}, "Health"), healthEl, h("h2", {}, "Traffic"), ratesEl);
  return () => clearInterval(timer);
}
