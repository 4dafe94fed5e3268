// Members and their roles, roles and their permissions, and permission overwrites on a
// resource (Discord's model: @everyone, then roles, then the member; deny before allow).
import { call } from "../api";
import { ago, h, notice, replace } from "../dom";
import type { ViewContext } from "../app";

export const PERMISSIONS = [
  "ADMINISTRATOR", "MANAGE_SPACE", "MANAGE_ROLES", "MANAGE_CHANNELS", "KICK_MEMBERS", "BAN_MEMBERS",
  "MODERATE_MEMBERS", "CREATE_INVITE", "CHANGE_NICKNAME", "MANAGE_NICKNAMES", "VIEW_AUDIT", "MANAGE_TOKENS",
  "VIEW_CHANNEL", "SEND_MESSAGES", "SEND_MESSAGES_IN_THREADS", "CREATE_THREADS", "MANAGE_MESSAGES",
  "MANAGE_THREADS", "ATTACH_FILES", "EMBED_LINKS", "ADD_REACTIONS", "MENTION_EVERYONE", "READ_MESSAGE_HISTORY",
  "MANAGE_WEBHOOKS", "VIEW_AGENTS", "RUN_TASKS", "MANAGE_AGENTS", "MANAGE_SERVICES", "DEPLOY",
  "MANAGE_SCHEDULES", "USE_KV", "USE_PUBSUB",
];

type Role = { id: string; name: string; position: number; permissions: string[]; everyone: boolean };
type Member = { account_id: string; username: string; display_name: string; role_ids: string[]; owner: boolean; joined_at: string };
type Overwrite = { target_kind: string; target_id: string; allow: string[]; deny: string[] };

// A checkbox per permission; returns the element and a getter.
export function permissionPicker(chosen: string[], name: string): [HTMLElement, () => string[]] {
  const boxes = PERMISSIONS.map((p) => h("input", { type: "checkbox", value: p, checked: chosen.includes(p), name }));
  const el = h("div", { class: "perms" }, boxes.map((b, i) => h("label", {}, b, ` ${PERMISSIONS[i]}`)));
  return [el, () => boxes.filter((b) => b.checked).map((b) => b.value)];
}

export async function accessView(el: HTMLElement, ctx: ViewContext): Promise<void> {
  const base = `/api/v1/spaces/${ctx.space.id}`;
  const message = h("div", { "aria-live": "polite" });
  const membersEl = h("tbody");
  const rolesEl = h("div");
  const overwritesEl = h("div");
  let roles: Role[] = [];
  let members: Member[] = [];
  const fail = (e: unknown) => replace(message, notice((e as Error).message));

  const load = async () => {
    roles = (await call<{ items: Role[] }>("GET", `${base}/roles`)).items;
    members = (await call<{ items: Member[] }>("GET", `${base}/members`)).items;
    drawMembers();
    drawRoles();
  };
  const drawMembers = () => {
    replace(
      membersEl,
      members.map((m) => {
        const add = h("select", { "aria-label": `Add a role to ${m.username}` }, h("option", { value: "" }, "add role…"), roles.filter((r) => !r.everyone && !m.role_ids.includes(r.id)).map((r) => h("option", { value: r.id }, r.name)));
        add.addEventListener("change", async () => {
          if (!add.value) return;
          await call("PUT", `${base}/members/${m.account_id}/roles/${add.value}`).then(load, fail);
        });
        return h(
          "tr",
          {},
          h("td", {}, m.username, m.owner ? h("span", { class: "tag" }, "owner") : null),
          h("td", {}, m.display_name),
          h(
            "td",
            {},
            m.role_ids.map((id) => {
              const r = roles.find((x) => x.id === id);
              return h("span", { class: "tag" }, r?.name ?? id, " ", h("button", { class: "link", "aria-label": `Remove role ${r?.name}`, onclick: () => void call("DELETE", `${base}/members/${m.account_id}/roles/${id}`).then(load, fail) }, "×"));
            }),
            m.owner ? null : add,
          ),
          h("td", { class: "muted" }, ago(m.joined_at)),
        );
      }),
    );
  };
  const drawRoles = () => {
    replace(
      rolesEl,
      roles.map((r) => {
        const [picker, chosen] = permissionPicker(r.permissions, `role-${r.id}`);
        return h(
          "details",
          { class: "card" },
          h("summary", {}, h("strong", {}, r.name), h("span", { class: "muted" }, ` position ${r.position} · ${r.permissions.length} permissions`)),
          picker,
          h(
            "div",
            { class: "row" },
            h("button", { onclick: () => void call("PATCH", `${base}/roles/${r.id}`, { permissions: chosen() }).then(() => (replace(message, notice(`Saved ${r.name}`, "ok")), load()), fail) }, "Save"),
            r.everyone ? null : h("button", { class: "danger", onclick: () => confirm(`Delete role ${r.name}?`) && void call("DELETE", `${base}/roles/${r.id}`).then(load, fail) }, "Delete"),
          ),
        );
      }),
    );
  };

  const newRole = h("input", { name: "role", placeholder: "operators", required: true, "aria-label": "New role name" });
  const roleForm = h(
    "form",
    { class: "inline", onsubmit: (e: Event) => (e.preventDefault(), void call("POST", `${base}/roles`, { name: newRole.value, permissions: ["VIEW_AGENTS"] }).then(() => ((newRole.value = ""), load()), fail)) },
    newRole,
    h("button", { type: "submit" }, "Create role"),
  );

  // Overwrites: pick a resource (type + id), see and edit who is allowed or denied what.
  const resType = h("input", { name: "resource_type", placeholder: "agent_group", "aria-label": "Resource type", value: "service" });
  const resId = h("input", { name: "resource_id", placeholder: "resource id", "aria-label": "Resource id" });
  const loadOverwrites = async () => {
    if (!resType.value || !resId.value) return;
    const path = `${base}/overwrites/${encodeURIComponent(resType.value)}/${encodeURIComponent(resId.value)}`;
    const { items } = await call<{ items: Overwrite[] }>("GET", path);
    const target = h("select", { "aria-label": "Overwrite for" }, roles.map((r) => h("option", { value: `role:${r.id}` }, `role ${r.name}`)), members.map((m) => h("option", { value: `member:${m.account_id}` }, `member ${m.username}`)));
    const [allow, allowed] = permissionPicker([], "allow");
    const [deny, denied] = permissionPicker([], "deny");
    replace(
      overwritesEl,
      h("table", {}, h("thead", {}, h("tr", {}, ["For", "Allow", "Deny"].map((c) => h("th", {}, c)))), h("tbody", {}, items.map((o) => h("tr", {}, h("td", {}, `${o.target_kind} ${o.target_kind === "role" ? roles.find((r) => r.id === o.target_id)?.name ?? o.target_id : members.find((m) => m.account_id === o.target_id)?.username ?? o.target_id}`), h("td", {}, o.allow.join(", ")), h("td", {}, o.deny.join(", ")))))),
      h("h3", {}, "Set an overwrite"),
      target,
      h("h4", {}, "Allow"),
      allow,
      h("h4", {}, "Deny"),
      deny,
      h(
        "button",
        {
          onclick: () => {
            const [kind, id] = target.value.split(":");
            void call("PUT", `${path}/${kind}/${id}`, { allow: allowed(), deny: denied() }).then(loadOverwrites, fail);
          },
        },
        "Save overwrite",
      ),
    );
  };

  await load();
  replace(
    el,
    h("h1", {}, "Members & roles"),
    message,
    h("h2", {}, "Members"),
    h("div", { class: "scroll" }, h("table", { id: "members" }, h("thead", {}, h("tr", {}, ["Member", "Name", "Roles", "Joined"].map((c) => h("th", {}, c)))), membersEl)),
    h("h2", {}, "Roles"),
    roleForm,
    rolesEl,
    h("h2", {}, "Permission overwrites"),
    h("form", { class: "inline", onsubmit: (e: Event) => (e.preventDefault(), void loadOverwrites().catch(fail)) }, resType, resId, h("button", { type: "submit", class: "ghost" }, "Show")),
    overwritesEl,
  );
}
