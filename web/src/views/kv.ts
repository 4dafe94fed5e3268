// The space's key-value store: keys under a prefix with their revision and value, a form to
// write one (compare-and-set against the revision shown, so two people editing the same key
// cannot overwrite each other), delete, and the changes as they happen (a long-poll watch of
// the change log from the revision the list was read at). docs/kv.md has the model.
import { ago, field, h, notice, replace } from "../dom";
import { call, send } from "../api";
import type { ViewContext } from "../app";

interface Entry {
  key: string;
  value?: unknown;
  value_base64url?: string;
  content_type: string;
  mod_revision: number;
  version: number;
  expires_at?: string;
}
interface Change {
  revision: number;
  key: string;
  op: string;
  at: string;
  value?: unknown;
}

const shown = (e: { value?: unknown; value_base64url?: string }) =>
  e.value_base64url !== undefined ? `(${Math.floor((e.value_base64url.length * 3) / 4)} bytes)` : typeof e.value === "string" ? e.value : JSON.stringify(e.value);

export function kvView(el: HTMLElement, ctx: ViewContext): () => void {
  const base = `/api/v1/spaces/${ctx.space.id}/kv`;
  const message = h("div", { "aria-live": "polite" });
  const body = h("tbody");
  const changes = h("ol", { id: "kv-changes", class: "mono" });
  const prefix = h("input", { name: "prefix", placeholder: "config/", "aria-label": "Prefix" });
  const key = h("input", { name: "key", required: true, placeholder: "config/web/port" });
  const value = h("textarea", { name: "value", rows: 3, class: "mono" });
  const json = h("input", { name: "json", type: "checkbox" });
  const expected = h("input", { name: "expected_revision", type: "number", min: 0, placeholder: "any" });
  const fail = (e: unknown) => replace(message, notice((e as Error).message));
  let watching = 0; // the watch loop's generation: a new list restarts it
  let stopped = false;

  const watch = async (generation: number, from: number) => {
    let after = from;
    while (!stopped && generation === watching) {
      try {
        const page = await call<{ items: Change[]; revision: number }>("GET", `${base}/changes?wait_seconds=25&prefix=${encodeURIComponent(prefix.value)}&after_revision=${after}`);
        if (generation !== watching) return;
        for (const c of page.items) changes.prepend(h("li", { "data-op": c.op }, `${c.revision} ${c.op} ${c.key}${c.op === "put" ? " = " + shown(c) : ""}`));
        if (page.items.length) void load(false);
        after = page.revision;
      } catch (e) {
        fail(e);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };

  const load = async (restartWatch = true) => {
    try {
      const list = await call<{ items: Entry[]; revision: number }>("GET", `${base}?limit=1000&prefix=${encodeURIComponent(prefix.value)}`);
      replace(
        body,
        list.items.length
          ? list.items.map((e) =>
              h(
                "tr",
                { "data-key": e.key },
                h("td", { class: "mono" }, h("a", { href: "#", onclick: (ev: Event) => (ev.preventDefault(), edit(e)) }, e.key)),
                h("td", { class: "num" }, String(e.mod_revision)),
                h("td", { class: "mono ellipsis value" }, shown(e)),
                h("td", { class: "muted" }, e.expires_at ? `expires ${ago(e.expires_at)}` : ""),
                h("td", {}, h("button", { class: "danger", onclick: () => void call("DELETE", `${base}?key=${encodeURIComponent(e.key)}&expected_revision=${e.mod_revision}`).then(() => load(false), fail) }, "Delete")),
              ),
            )
          : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No keys here yet.")),
      );
      if (restartWatch) void watch(++watching, list.revision);
    } catch (e) {
      fail(e);
    }
  };
  const edit = (e: Entry) => {
    key.value = e.key;
    value.value = shown(e);
    json.checked = e.content_type === "application/json";
    expected.value = String(e.mod_revision);
  };
  const form = h(
    "form",
    {
      class: "card",
      id: "kv-put",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const q = new URLSearchParams({ key: key.value });
        if (expected.value !== "") q.set("expected_revision", expected.value);
        try {
          const answer = await send<Entry>("PUT", `${base}?${q}`, value.value, json.checked ? "application/json" : "text/plain");
          replace(message, notice(`${key.value} is at revision ${answer.mod_revision}.`, "ok"));
          expected.value = String(answer.mod_revision);
          void load(false);
        } catch (e) {
          fail(e);
        }
      },
    },
    h("h3", {}, "Write a key"),
    field("Key", key),
    field("Value", value),
    field("JSON", json),
    field("Only if still at revision", expected, "leave empty to write whatever is there"),
    h("button", { type: "submit" }, "Write"),
  );
  void load();
  replace(
    el,
    h("h1", {}, "Key-value store"),
    h("form", { class: "filters", onsubmit: (ev: Event) => (ev.preventDefault(), void load()) }, prefix, h("button", { type: "submit", class: "ghost" }, "List")),
    message,
    h("div", { class: "scroll" }, h("table", { id: "kv" }, h("thead", {}, h("tr", {}, ["Key", "Revision", "Value", "", ""].map((c) => h("th", {}, c)))), body)),
    form,
    h("h2", {}, "Changes"),
    changes,
  );
  return () => {
    stopped = true;
  };
}
