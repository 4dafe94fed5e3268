// The space's audit log with filters (actor, action, outcome, time range), newest first, with
// "older" paging by sequence number.
import { call } from "../api";
import { h, notice, replace } from "../dom";
import type { ViewContext } from "../app";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = { seq: number; time: string; actor: string; source: string; action: string; target: string; outcome: string; details: any };

export async function auditView(el: HTMLElement, ctx: ViewContext): Promise<void> {
  const action = h("input", { name: "action", placeholder: "task.create", "aria-label": "Action" });
  const actor = h("input", { name: "actor", placeholder: "actor id", "aria-label": "Actor" });
  const outcome = h("select", { name: "outcome", "aria-label": "Outcome" }, h("option", { value: "" }, "any outcome"), h("option", { value: "success" }, "success"), h("option", { value: "failure" }, "failure"));
  const since = h("input", { name: "since", type: "datetime-local", "aria-label": "Since" });
  const body = h("tbody");
  const message = h("div");
  let before = "";
  const more = h("button", { class: "ghost", onclick: () => void load(true) }, "Older");
  const load = async (older = false) => {
    const q = new URLSearchParams({ limit: "50" });
    if (action.value) q.set("action", action.value);
    if (actor.value) q.set("actor", actor.value);
    if (outcome.value) q.set("outcome", outcome.value);
    if (since.value) q.set("since", new Date(since.value).toISOString());
    if (older && before) q.set("before", before);
    try {
      const { items } = await call<{ items: Entry[] }>("GET", `/api/v1/spaces/${ctx.space.id}/audit?${q}`);
      replace(message);
      const rows = items.map((e) =>
        h(
          "tr",
          { "data-action": e.action },
          h("td", { class: "num" }, String(e.seq)),
          h("td", { class: "muted" }, new Date(e.time).toLocaleString()),
          h("td", { class: "mono ellipsis" }, e.actor),
          h("td", {}, e.action),
          h("td", {}, h("span", { class: `badge s-${e.outcome === "success" ? "succeeded" : "failed"}` }, e.outcome)),
          h("td", { class: "mono ellipsis" }, e.target),
          h("td", {}, h("details", {}, h("summary", {}, "details"), h("pre", {}, JSON.stringify(e.details, null, 2)))),
        ),
      );
      if (older) body.append(...rows);
      else replace(body, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "Nothing matches.")));
      before = items.length ? String(items[items.length - 1].seq) : before;
      more.hidden = items.length < 50;
    } catch (e) {
      replace(message, notice((e as Error).message));
    }
  };
  await load();
  replace(
    el,
    h("h1", {}, "Audit log"),
    h("form", { class: "filters", onsubmit: (e: Event) => (e.preventDefault(), void load()) }, action, actor, outcome, since, h("button", { type: "submit", class: "ghost" }, "Filter")),
    message,
    h("div", { class: "scroll" }, h("table", { id: "audit" }, h("thead", {}, h("tr", {}, ["#", "Time", "Actor", "Action", "Outcome", "Target", ""].map((c) => h("th", {}, c)))), body)),
    more,
  );
}
