// The cluster: the risd servers sharing this installation's database, with their lease, the
// agents each holds and which one this page is talking to. Instance administrators only (the API
// answers 403 to others). Refreshed every 5 s.
import { call } from "../api";
import { h, notice, replace } from "../dom";
import type { ViewContext } from "../app";

export interface ClusterServer {
  id: string;
  advertise: string[];
  version: string;
  started_at: string;
  lease_until: string;
  lease_age_seconds: number;
  state: "alive" | "dead";
  agents: number;
  self: boolean;
}

// "0.4 s", "12 s", "3 min": how long ago the server renewed its lease.
export function leaseAge(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

export function clusterView(el: HTMLElement, _ctx: ViewContext): () => void {
  const summary = h("p", { id: "cluster-summary", class: "muted" });
  const body = h("tbody");
  const message = h("div");
  const load = async () => {
    try {
      const { items, self } = await call<{ items: ClusterServer[]; self: string }>("GET", "/api/v1/cluster/servers");
      replace(message);
      const alive = items.filter((s) => s.state === "alive").length;
      replace(summary, `${alive} of ${items.length} server${items.length === 1 ? "" : "s"} alive; this page is served by `, h("span", { class: "mono", id: "cluster-self" }, self), ".");
      replace(
        body,
        items.map((s) =>
          h(
            "tr",
            { "data-server": s.id, "data-self": String(s.self) },
            h("td", { class: "mono" }, s.id, s.self && " ", s.self && h("span", { class: "badge s-online self", title: "the server this page talks to" }, "you are here")),
            h("td", {}, h("span", { class: `badge s-${s.state}` }, s.state)),
            h("td", {}, s.version),
            h("td", { class: "num" }, String(s.agents)),
            h("td", { class: "num", title: `lease until ${s.lease_until}` }, leaseAge(s.lease_age_seconds)),
            h("td", { class: "mono" }, s.advertise.join(", ")),
            h("td", { class: "muted" }, new Date(s.started_at).toLocaleString()),
          ),
        ),
      );
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  void load();
  const timer = window.setInterval(() => void load(), 5000);
  replace(
    el,
    h("h1", {}, "Cluster"),
    h("p", { class: "muted" }, "The risd servers sharing this installation's database. A server whose lease lapsed is dead: its agents reconnect to the others."),
    message,
    summary,
    h("div", { class: "scroll" }, h("table", { id: "cluster" }, h("thead", {}, h("tr", {}, ["Server", "State", "Version", "Agents", "Lease age", "Advertise", "Started"].map((c) => h("th", {}, c)))), body)),
  );
  return () => clearInterval(timer);
}
