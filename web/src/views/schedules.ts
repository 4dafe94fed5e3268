// Schedules of the space: when each fires next, pause/resume, a form for a schedule that runs a
// shell script on matching agents, and one schedule's page with its spec and the history of its
// fires (started, failed, skipped, missed — with the reason). docs/schedules.md has the fields.
import { call } from "../api";
import { ago, field, h, notice, replace } from "../dom";
import type { ViewContext } from "../app";

export interface Schedule {
  id: string;
  name: string;
  description: string;
  when: string;
  time_zone: string;
  paused: boolean;
  next_fires: string[];
  overlap: string;
  catch_up: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  action: Record<string, any>;
}
interface Fire {
  due_at: string;
  state: string;
  attempt: number;
  fired_at?: string;
  task_id?: string;
  detail?: string;
}

const kind = (s: Schedule) => Object.keys(s.action)[0] ?? "";
const when = (t: string | undefined) => (t ? new Date(t).toLocaleString() : "—");

export async function schedulesView(el: HTMLElement, ctx: ViewContext): Promise<void> {
  const base = `/api/v1/spaces/${ctx.space.id}/schedules`;
  const message = h("div", { "aria-live": "polite" });
  const body = h("tbody");
  const fail = (e: unknown) => replace(message, notice((e as Error).message));
  const load = async () => {
    const { items } = await call<{ items: Schedule[] }>("GET", base);
    replace(
      body,
      items.length
        ? items.map((s) =>
            h(
              "tr",
              { "data-schedule": s.name },
              h("td", {}, h("a", { href: `#/schedules/${encodeURIComponent(s.name)}` }, s.name)),
              h("td", { class: "mono" }, s.when),
              h("td", { class: "muted" }, s.time_zone),
              h("td", {}, kind(s)),
              h("td", { class: "next" }, s.paused ? h("span", { class: "badge s-offline" }, "paused") : when(s.next_fires[0])),
              h("td", {}, h("button", { class: "ghost", onclick: () => void call("POST", `${base}/${s.id}/${s.paused ? "resume" : "pause"}`, {}).then(load, fail) }, s.paused ? "Resume" : "Pause")),
            ),
          )
        : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No schedules yet.")),
    );
  };

  const name = h("input", { name: "schedule_name", required: true, placeholder: "nightly-cleanup" });
  const expr = h("input", { name: "when", required: true, placeholder: "30 2 * * *  or  @every 5m", class: "mono" });
  const zone = h("input", { name: "time_zone", value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
  const selector = h("input", { name: "selector", value: "all", placeholder: "role=web" });
  const script = h("textarea", { name: "script", rows: 3, required: true, placeholder: "docker image prune -af", class: "mono" });
  const overlap = h("select", { name: "overlap" }, ...["allow", "forbid", "replace", "queue"].map((o) => h("option", { value: o }, o)));
  const form = h(
    "form",
    {
      class: "card",
      id: "new-schedule",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const target = selector.value.trim() === "all" ? { all: true } : { selector: selector.value.trim() };
        const spec = { name: name.value, when: expr.value, time_zone: zone.value, overlap: overlap.value, action: { task: { type: "shell", parameters: { script: script.value }, target } } };
        void call("POST", base, spec).then(() => (replace(message, notice(`Schedule ${name.value} created.`, "ok")), load()), fail);
      },
    },
    h("h3", {}, "New schedule"),
    field("Name", name),
    field("When (cron, @hourly, @every 30s)", expr),
    field("Time zone", zone),
    field("Agents (selector, or all)", selector),
    field("Shell script", script),
    field("While the previous run is still going", overlap),
    h("button", { type: "submit" }, "Create schedule"),
  );
  await load().catch(fail);
  replace(
    el,
    h("h1", {}, "Schedules"),
    message,
    h("div", { class: "scroll" }, h("table", { id: "schedules" }, h("thead", {}, h("tr", {}, ["Name", "When", "Zone", "Action", "Next fire", ""].map((c) => h("th", {}, c)))), body)),
    form,
  );
}

export function scheduleView(el: HTMLElement, ctx: ViewContext): () => void {
  const url = `/api/v1/spaces/${ctx.space.id}/schedules/${encodeURIComponent(ctx.params[0])}`;
  const head = h("div");
  const fires = h("tbody");
  const message = h("div");
  const load = async () => {
    try {
      const s = await call<Schedule>("GET", url);
      replace(
        head,
        h("h1", {}, s.name, " ", s.paused ? h("span", { class: "badge s-offline" }, "paused") : null),
        s.description ? h("p", { class: "muted" }, s.description) : null,
        h("p", {}, h("span", { class: "mono" }, s.when), ` in ${s.time_zone}; overlap ${s.overlap}, catch-up ${s.catch_up}`),
        h("p", { class: "muted", id: "next-fires" }, "Next: ", s.next_fires.map(when).join(", ") || "—"),
        h("details", {}, h("summary", {}, "action"), h("pre", {}, JSON.stringify(s.action, null, 2))),
      );
      const { items } = await call<{ items: Fire[] }>("GET", `${url}/fires?limit=50`);
      replace(
        fires,
        items.map((f) =>
          h(
            "tr",
            { "data-state": f.state },
            h("td", {}, when(f.due_at)),
            h("td", {}, h("span", { class: `badge s-${f.state === "started" ? "succeeded" : f.state === "due" || f.state === "starting" ? "pending" : "failed"}` }, f.state)),
            h("td", { class: "num" }, String(f.attempt)),
            h("td", { class: "muted" }, f.fired_at ? ago(f.fired_at) : ""),
            h("td", {}, f.task_id ? h("a", { href: `#/tasks/${f.task_id}`, class: "mono" }, f.task_id.slice(0, 13)) : ""),
            h("td", { class: "muted" }, f.detail ?? ""),
          ),
        ),
      );
      replace(message);
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  void load();
  const timer = window.setInterval(() => void load(), 3000);
  replace(el, head, message, h("h2", {}, "Fires"), h("div", { class: "scroll" }, h("table", { id: "fires" }, h("thead", {}, h("tr", {}, ["Due", "State", "Attempt", "Fired", "Task", "Detail"].map((c) => h("th", {}, c)))), fires)));
  return () => window.clearInterval(timer);
}
