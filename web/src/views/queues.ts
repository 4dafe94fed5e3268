// The space's durable queues: its topics (where each keeps its messages, for how long, where dead
// letters go), a form for a new one, and for the topic chosen (#/queues?topic=NAME, so it can be
// linked) its subscriptions, a form to publish and one to subscribe. Pulling leases up to 10
// messages to this page for the topic's ack deadline and counts as a delivery, so it is no
// read-only peek: each message is acked (done) or nacked (handed out again at once), one by one or
// the whole batch in one call. docs/queues.md has the model.
import { ago, field, h, notice, replace } from "../dom";
import { call, send } from "../api";
import type { ViewContext } from "../app";
import { go } from "../app";

interface Topic {
  id: string;
  name: string;
  max_deliveries: number;
  ack_deadline_seconds: number;
  retention_seconds: number;
  retention_messages: number;
  created_at: string;
  backend: string;
  home_domain?: string;
  last_seq?: number;
  dead_letter_topic?: string;
}
interface Subscription {
  name: string;
  next_seq: number;
  domain?: string;
}
interface Message {
  seq: number;
  body?: string;
  body_base64url?: string;
  content_type: string;
  published_at: string;
  deliveries: number;
  ack: string;
}

const span = (s: number) => (s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);
const shown = (m: Message) => m.body ?? `(${Math.floor(((m.body_base64url ?? "").length * 3) / 4)} bytes of ${m.content_type})`;
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
// The subscription form's one "start" field: empty or "new", "all", a seq, or else a time.
const start = (s: string) => (s === "" || s === "new" || s === "all" ? s || "new" : /^\d+$/.test(s) ? { seq: Number(s) } : { time: s });

export function queuesView(el: HTMLElement, ctx: ViewContext): void {
  const base = `/api/v1/spaces/${ctx.space.id}/topics`;
  const selected = ctx.query.get("topic") ?? "";
  const topicUrl = `${base}/${encodeURIComponent(selected)}`;
  const subUrl = (sub: string) => `${topicUrl}/subscriptions/${encodeURIComponent(sub)}`;
  const message = h("div", { "aria-live": "polite" });
  const topics = h("tbody");
  const head = h("div");
  const subscriptions = h("tbody");
  const status = h("p", { id: "queue-pulled", class: "muted" });
  const messages = h("ul", { id: "queue-messages", class: "messages" });
  const fail = (e: unknown) => replace(message, notice((e as Error).message));
  let topic: Topic | undefined;
  let pulledFrom = ""; // the subscription the listed messages are leased from
  const pulled = new Map<number, Message>();

  const load = async () => {
    try {
      const { items } = await call<{ items: Topic[] }>("GET", base);
      topic = items.find((t) => t.name === selected);
      replace(
        topics,
        items.length
          ? items.map((t) =>
              h(
                "tr",
                { "data-topic": t.name, "aria-current": t.name === selected ? "true" : undefined },
                h("td", {}, h("a", { href: `#/queues?topic=${encodeURIComponent(t.name)}` }, t.name)),
                h("td", {}, t.backend, t.home_domain ? h("span", { class: "muted" }, ` (${t.home_domain})`) : null),
                h("td", {}, `${plural(t.max_deliveries, "delivery", "deliveries")}, ${span(t.ack_deadline_seconds)} to ack`),
                h("td", {}, `${span(t.retention_seconds)} or ${plural(t.retention_messages, "message")}`),
                h("td", {}, t.dead_letter_topic ?? h("span", { class: "muted" }, "dropped")),
                h("td", {}, h("button", { class: "danger", onclick: () => confirm(`Delete topic ${t.name}, its subscriptions and its messages?`) && void call("DELETE", `${base}/${encodeURIComponent(t.name)}`).then(() => (t.name === selected ? go("queues") : load()), fail) }, "Delete")),
              ),
            )
          : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No topics yet.")),
      );
      const keep = deadLetter.value;
      replace(deadLetter, h("option", { value: "" }, "none: drop them"), items.map((t) => h("option", { value: t.name, selected: t.name === keep }, t.name)));
      if (!selected) return;
      replace(
        head,
        topic
          ? [
              h("h2", {}, `Topic ${topic.name}`),
              h("p", { class: "muted" }, `${topic.backend === "jetstream" ? `On NATS JetStream${topic.home_domain ? `, domain ${topic.home_domain}` : ""}` : "In the database"}${topic.last_seq !== undefined ? `, last seq ${topic.last_seq}` : ""}; created ${ago(topic.created_at)}.`),
            ]
          : notice(`No topic "${selected}" in this space.`),
      );
    } catch (e) {
      fail(e);
    }
  };
  const loadSubscriptions = async () => {
    try {
      const { items } = await call<{ items: Subscription[] }>("GET", `${topicUrl}/subscriptions`);
      replace(
        subscriptions,
        items.length
          ? items.map((s) =>
              h(
                "tr",
                { "data-subscription": s.name },
                h("td", {}, s.name),
                h("td", { class: "num" }, String(s.next_seq)),
                h("td", { class: "muted" }, s.domain ?? ""),
                h("td", {}, h("button", { class: "ghost", title: "Lease up to 10 messages: ack or nack them below", onclick: () => void pull(s.name) }, "Pull")),
              ),
            )
          : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No subscriptions yet.")),
      );
    } catch (e) {
      fail(e);
    }
  };

  const drawMessages = () => {
    replace(
      messages,
      [...pulled.values()].map((m) =>
        h(
          "li",
          { "data-seq": m.seq, class: "card" },
          h(
            "div",
            { class: "row" },
            h("strong", {}, `seq ${m.seq}`),
            h("span", { class: "muted" }, `${m.content_type}, published ${ago(m.published_at)}, delivery ${m.deliveries}`),
            h("span", { class: "spacer" }),
            h("button", { "aria-label": `Ack ${m.seq}`, onclick: () => void settle(m, true) }, "Ack"),
            h("button", { class: "ghost", "aria-label": `Nack ${m.seq}`, onclick: () => void settle(m, false) }, "Nack"),
          ),
          h("pre", { class: "output" }, shown(m)),
        ),
      ),
    );
    ackAll.disabled = nackAll.disabled = pulled.size === 0;
  };
  const pull = async (sub: string) => {
    try {
      const got = (await call<{ messages: Message[] }>("POST", `${subUrl(sub)}/pull?max=10`)).messages;
      pulledFrom = sub;
      pulled.clear();
      for (const m of got) pulled.set(m.seq, m);
      replace(status, got.length ? `${plural(got.length, "message")} from ${sub}, leased for ${span(topic?.ack_deadline_seconds ?? 30)}.` : `Nothing waiting for ${sub}.`);
      drawMessages();
      void loadSubscriptions();
    } catch (e) {
      fail(e);
    }
  };
  // A 409 means the lease ran out (the message is someone else's now): it stays listed, refused.
  const settle = async (m: Message, ack: boolean) => {
    try {
      await call("POST", `${subUrl(pulledFrom)}/${ack ? "ack" : "nack"}?token=${encodeURIComponent(m.ack)}`);
      pulled.delete(m.seq);
      drawMessages();
      replace(message, notice(`seq ${m.seq} ${ack ? "acknowledged" : "handed back"}.`, "ok"));
      void loadSubscriptions();
    } catch (e) {
      fail(e);
    }
  };
  const settleAll = async (ack: boolean) => {
    try {
      const tokens = [...pulled.values()].map((m) => m.ack);
      const r = await call<{ settled: number; refused: string[] }>("POST", `${subUrl(pulledFrom)}/${ack ? "ack" : "nack"}`, { tokens });
      for (const m of [...pulled.values()]) if (!r.refused.includes(m.ack)) pulled.delete(m.seq);
      drawMessages();
      const done = `${plural(r.settled, "message")} ${ack ? "acknowledged" : "handed back"}`;
      replace(message, r.refused.length ? notice(`${done}; ${r.refused.length} refused, their lease had run out.`) : notice(`${done}.`, "ok"));
      void loadSubscriptions();
    } catch (e) {
      fail(e);
    }
  };
  const ackAll = h("button", { onclick: () => void settleAll(true), disabled: true }, "Ack all");
  const nackAll = h("button", { class: "ghost", onclick: () => void settleAll(false), disabled: true }, "Nack all");

  const name = h("input", { name: "topic_name", required: true, placeholder: "jobs" });
  const maxDeliveries = h("input", { name: "max_deliveries", type: "number", min: 1, max: 100, placeholder: "5" });
  const ackDeadline = h("input", { name: "ack_deadline_seconds", type: "number", min: 1, max: 43200, placeholder: "30" });
  const deadLetter = h("select", { name: "dead_letter_topic" });
  const createForm = h(
    "form",
    {
      class: "card",
      id: "topic-create",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const spec: Record<string, unknown> = { name: name.value };
        if (maxDeliveries.value !== "") spec.max_deliveries = Number(maxDeliveries.value);
        if (ackDeadline.value !== "") spec.ack_deadline_seconds = Number(ackDeadline.value);
        if (deadLetter.value) spec.dead_letter_topic = deadLetter.value;
        void call("POST", base, spec).then(() => (replace(message, notice(`Topic ${spec.name} created.`, "ok")), load()), fail);
      },
    },
    h("h3", {}, "New topic"),
    field("Name", name),
    field("Deliveries before dead letters", maxDeliveries, "5 when empty"),
    field("Seconds to ack a pulled message", ackDeadline, "30 when empty"),
    field("Dead-letter topic", deadLetter, "an existing topic; without one, a message delivered that often is dropped"),
    h("button", { type: "submit" }, "Create topic"),
  );

  const text = h("textarea", { name: "message", rows: 3, class: "mono" });
  const json = h("input", { name: "json", type: "checkbox" });
  const publishForm = h(
    "form",
    {
      class: "card",
      id: "topic-publish",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        try {
          const { seq } = await send<{ seq: number }>("POST", `${topicUrl}/messages`, text.value, json.checked ? "application/json" : "text/plain");
          replace(message, notice(`Published to ${selected} as seq ${seq}.`, "ok"));
          void load();
          void loadSubscriptions();
        } catch (e) {
          fail(e);
        }
      },
    },
    h("h3", {}, "Publish"),
    field("Message", text),
    field("JSON", json),
    h("button", { type: "submit" }, "Publish"),
  );
  const subName = h("input", { name: "subscription_name", required: true, placeholder: "workers" });
  const from = h("input", { name: "start", placeholder: "new" });
  const subscribeForm = h(
    "form",
    {
      class: "card",
      id: "subscription-create",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void call("POST", `${topicUrl}/subscriptions`, { name: subName.value, start: start(from.value.trim()) }).then(() => (replace(message, notice(`Subscription ${subName.value} created.`, "ok")), loadSubscriptions()), fail);
      },
    },
    h("h3", {}, "New subscription"),
    field("Name", subName),
    field("Start at", from, "new (the default), all (everything kept), a seq, or a time such as 2026-12-01T00:00:00Z"),
    h("button", { type: "submit" }, "Subscribe"),
  );

  void load();
  if (selected) void loadSubscriptions();
  replace(
    el,
    h("h1", {}, "Queues"),
    message,
    h("div", { class: "scroll" }, h("table", { id: "topics" }, h("thead", {}, h("tr", {}, ["Topic", "Backend", "Delivery", "Retention", "Dead letters", ""].map((c) => h("th", {}, c)))), topics)),
    createForm,
    selected
      ? [
          head,
          h("div", { class: "scroll" }, h("table", { id: "subscriptions" }, h("thead", {}, h("tr", {}, ["Subscription", "Next seq", "Domain", ""].map((c) => h("th", {}, c)))), subscriptions)),
          h("div", { class: "grid" }, publishForm, subscribeForm),
          h("h3", {}, "Pulled messages"),
          h("p", { class: "muted" }, "Each pull counts as a delivery: a message pulled as many times as the topic allows, without an ack, goes to its dead-letter topic or is dropped."),
          status,
          h("div", { class: "actions" }, ackAll, nackAll),
          messages,
        ]
      : null,
  );
}
