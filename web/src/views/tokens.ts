// API tokens (scoped to this space and to chosen permissions), agent join tokens, and
// invitations. Secrets are shown once, right after creation.
import { call } from "../api";
import { ago, field, h, notice, replace } from "../dom";
import type { ViewContext } from "../app";
import { permissionPicker } from "./access";

type Token = { id: string; name: string; permissions: string[]; expires_at: string | null; last_used_at: string | null; revoked_at: string | null };
type Invitation = { code: string; uses: number; max_uses: number; expires_at: string | null; revoked_at: string | null };

export async function tokensView(el: HTMLElement, ctx: ViewContext): Promise<void> {
  const base = `/api/v1/spaces/${ctx.space.id}`;
  const message = h("div", { "aria-live": "polite" });
  const tokensEl = h("tbody");
  const invitesEl = h("tbody");
  const fail = (e: unknown) => replace(message, notice((e as Error).message));
  const secret = (label: string, value: string, extra?: string) =>
    replace(message, h("div", { class: "notice ok", role: "status" }, `${label} (shown once): `, h("code", { class: "secret" }, value), extra ? h("pre", {}, extra) : null));

  const load = async () => {
    const tokens = (await call<{ items: Token[] }>("GET", `${base}/tokens`)).items;
    replace(tokensEl, tokens.map((t) => h("tr", {}, h("td", {}, t.name), h("td", {}, t.permissions.join(", ")), h("td", { class: "muted" }, t.expires_at ?? "never"), h("td", { class: "muted" }, ago(t.last_used_at)), h("td", {}, t.revoked_at ? "revoked" : h("button", { class: "danger", onclick: () => void call("DELETE", `${base}/tokens/${t.id}`).then(load, fail) }, "Revoke")))));
    const invites = (await call<{ items: Invitation[] }>("GET", `${base}/invitations`)).items;
    replace(invitesEl, invites.map((i) => h("tr", {}, h("td", { class: "mono" }, i.code), h("td", {}, `${i.uses}/${i.max_uses || "∞"}`), h("td", { class: "muted" }, i.expires_at ?? "never"), h("td", {}, i.revoked_at ? "revoked" : h("button", { class: "danger", onclick: () => void call("DELETE", `${base}/invitations/${i.code}`).then(load, fail) }, "Revoke")))));
  };

  const name = h("input", { name: "token_name", required: true, placeholder: "ci-deploy" });
  const ttl = h("input", { name: "ttl", type: "number", min: 60, placeholder: "never expires" });
  const [picker, chosen] = permissionPicker(["VIEW_AGENTS"], "token-perm");
  const tokenForm = h(
    "form",
    {
      class: "card",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const body: Record<string, unknown> = { name: name.value, permissions: chosen() };
        if (ttl.value) body.ttl_seconds = Number(ttl.value);
        void call<{ token: string }>("POST", `${base}/tokens`, body).then((t) => (secret("API token", t.token), load()), fail);
      },
    },
    h("h3", {}, "New API token"),
    field("Name", name),
    field("Lifetime (seconds)", ttl),
    picker,
    h("button", { type: "submit" }, "Create token"),
  );

  const joinLabels = h("input", { name: "labels", placeholder: "env=prod,role=web" });
  const joinUses = h("input", { name: "uses", type: "number", min: 1, value: 1 });
  const joinForm = h(
    "form",
    {
      class: "card",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const labels = Object.fromEntries(joinLabels.value.split(",").filter((kv) => kv.includes("=")).map((kv) => kv.split("=", 2).map((s) => s.trim())));
        void call<{ token: string; ca_hash: string }>("POST", `${base}/agents/join-tokens`, { labels, uses: Number(joinUses.value), ttl_seconds: 3600 }).then(
          (t) => secret("Join token", t.token, `ris-agent join ${location.origin} --token ${t.token} --ca-hash ${t.ca_hash} --state-dir /var/lib/ris-agent`),
          fail,
        );
      },
    },
    h("h3", {}, "Enrol agents"),
    field("Labels", joinLabels),
    field("Uses", joinUses),
    h("button", { type: "submit" }, "Create join token"),
  );
  const inviteForm = h(
    "form",
    { class: "card", onsubmit: (e: Event) => (e.preventDefault(), void call<Invitation>("POST", `${base}/invitations`, { ttl_seconds: 7 * 86400 }).then((i) => (secret("Invitation code", i.code), load()), fail)) },
    h("h3", {}, "Invite people"),
    h("p", { class: "muted" }, "A code valid for 7 days."),
    h("button", { type: "submit" }, "Create invitation"),
  );

  await load().catch(fail);
  replace(
    el,
    h("h1", {}, "Tokens & invitations"),
    message,
    h("div", { class: "grid" }, tokenForm, joinForm, inviteForm),
    h("h2", {}, "API tokens"),
    h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Permissions", "Expires", "Last used", ""].map((c) => h("th", {}, c)))), tokensEl)),
    h("h2", {}, "Invitations"),
    h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ["Code", "Uses", "Expires", ""].map((c) => h("th", {}, c)))), invitesEl)),
  );
}
