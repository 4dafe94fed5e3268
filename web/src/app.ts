// The shell: sign-in gate, header (space switcher, theme, live indicator, sign out),
// navigation, and a hash router (#/agents, #/agents/ID, …) that mounts one view at a time.
import * as api from "./api";
import { disconnect, onStatus } from "./events";
import { h, notice, replace } from "./dom";
import { loginView } from "./views/login";
import { agentsView } from "./views/agents";
import { agentView } from "./views/agent";
import { runView } from "./views/run";
import { tasksView, taskView } from "./views/tasks";
import { servicesView, serviceView } from "./views/services";
import { schedulesView, scheduleView } from "./views/schedules";
import { deploymentsView, deploymentView, revisionView } from "./views/deployments";
import { kvView } from "./views/kv";
import { queuesView } from "./views/queues";
import { accessView } from "./views/access";
import { tokensView } from "./views/tokens";
import { auditView } from "./views/audit";
import { instanceView } from "./views/instance";
import { clusterView } from "./views/cluster";

export interface Space {
  id: string;
  name: string;
}
export interface ViewContext {
  space: Space;
  params: string[];
  query: URLSearchParams;
  me: { id: string; username: string; app_roles: string[] };
}
// A view fills `el` and returns its cleanup (unsubscribe, timers).
export type View = (el: HTMLElement, ctx: ViewContext) => (() => void) | void | Promise<(() => void) | void>;

const routes: [RegExp, View, string][] = [
  [/^agents$/, agentsView, "agents"],
  [/^agents\/([^/]+)$/, agentView, "agents"],
  [/^run$/, runView, "run"],
  [/^tasks$/, tasksView, "tasks"],
  [/^tasks\/([^/]+)$/, taskView, "tasks"],
  [/^services$/, servicesView, "services"],
  [/^services\/([^/]+)$/, serviceView, "services"],
  [/^schedules$/, schedulesView, "schedules"],
  [/^schedules\/([^/]+)$/, scheduleView, "schedules"],
  [/^deployments$/, deploymentsView, "deployments"],
  [/^deployments\/([^/]+)$/, deploymentView, "deployments"],
  [/^deployments\/([^/]+)\/(\d+)$/, revisionView, "deployments"],
  [/^kv$/, kvView, "kv"],
  [/^queues$/, queuesView, "queues"],
  [/^access$/, accessView, "access"],
  [/^tokens$/, tokensView, "tokens"],
  [/^audit$/, auditView, "audit"],
  [/^instance$/, instanceView, "instance"],
  [/^cluster$/, clusterView, "cluster"],
];
const nav: [string, string][] = [
  ["agents", "Agents"],
  ["run", "Run"],
  ["tasks", "Tasks"],
  ["services", "Services"],
  ["schedules", "Schedules"],
  ["deployments", "Deployments"],
  ["kv", "Key-value"],
  ["queues", "Queues"],
  ["access", "Members & roles"],
  ["tokens", "Tokens & invites"],
  ["audit", "Audit"],
  ["instance", "Instance"],
  ["cluster", "Cluster"],
];
// Pages for instance administrators only (the API refuses others anyway).
const adminOnly = new Set(["cluster"]);
const ADMIN_ROLE = "ApplicationAdministrator";

const SPACE_KEY = "ris.space";
const THEME_KEY = "ris.theme";
let cleanup: (() => void) | void = undefined;
let me: ViewContext["me"] | null = null;
let spaces: Space[] = [];

export function applyTheme(theme = localStorage.getItem(THEME_KEY) ?? ""): void {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function currentSpace(): Space | undefined {
  const id = localStorage.getItem(SPACE_KEY);
  return spaces.find((s) => s.id === id) ?? spaces[0];
}

export function go(path: string): void {
  location.hash = `#/${path}`;
}

async function signedIn(root: HTMLElement): Promise<void> {
  me = await api.call("GET", "/api/v1/me");
  spaces = (await api.call<{ items: Space[] }>("GET", "/api/v1/spaces")).items;
  renderShell(root);
}

function renderShell(root: HTMLElement): void {
  const live = h("span", { class: "live off", title: "live updates" }, "offline");
  onStatus((on) => {
    live.className = on ? "live on" : "live off";
    live.textContent = on ? "live" : "reconnecting";
  });
  const spaceSelect = h(
    "select",
    {
      "aria-label": "Space",
      id: "space-switcher",
      onchange: (e: Event) => {
        localStorage.setItem(SPACE_KEY, (e.target as HTMLSelectElement).value);
        void route();
      },
    },
    spaces.map((s) => h("option", { value: s.id, selected: s.id === currentSpace()?.id }, s.name)),
  );
  const theme = h(
    "button",
    {
      class: "ghost",
      "aria-label": "Switch between dark and light theme",
      onclick: () => {
        const dark =
          document.documentElement.dataset.theme === "dark" ||
          (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
        localStorage.setItem(THEME_KEY, dark ? "light" : "dark");
        applyTheme();
      },
    },
    "◐",
  );
  const signOut = h(
    "button",
    {
      class: "ghost",
      onclick: async () => {
        await api.logout();
        disconnect();
        start(root);
      },
    },
    "Sign out",
  );
  const menu = h("button", { class: "ghost menu", "aria-label": "Menu", "aria-expanded": "false" }, "☰");
  const links = h(
    "nav",
    { id: "nav", "aria-label": "Sections" },
    nav
      .filter(([path]) => !adminOnly.has(path) || (me?.app_roles ?? []).includes(ADMIN_ROLE))
      .map(([path, label]) => h("a", { href: `#/${path}`, "data-nav": path }, label)),
  );
  menu.addEventListener("click", () => {
    const open = links.classList.toggle("open");
    menu.setAttribute("aria-expanded", String(open));
  });
  links.addEventListener("click", () => links.classList.remove("open"));
  const main = h("main", { id: "view", tabindex: "-1" });
  replace(
    root,
    h("a", { class: "skip", href: "#view", onclick: (e: Event) => (e.preventDefault(), main.focus()) }, "Skip to content"),
    h(
      "header",
      {},
      menu,
      h("a", { class: "brand", href: "#/agents" }, "RIS"),
      spaces.length ? spaceSelect : h("span", { class: "muted" }, "no space"),
      h("span", { class: "spacer" }),
      live,
      h("span", { class: "muted user" }, me?.username ?? ""),
      theme,
      signOut,
    ),
    h("div", { class: "body" }, links, main),
  );
  window.onhashchange = () => void route();
  void route();
}

async function route(): Promise<void> {
  const main = document.getElementById("view");
  if (!main || !me) return;
  if (typeof cleanup === "function") cleanup();
  cleanup = undefined;
  const [path, queryString] = (location.hash.replace(/^#\/?/, "") || "agents").split("?");
  for (const a of document.querySelectorAll<HTMLAnchorElement>("#nav a"))
    a.setAttribute("aria-current", path.startsWith(a.dataset.nav ?? "-") ? "page" : "false");
  const space = currentSpace();
  if (!space && path !== "instance" && path !== "cluster") {
    replace(main, noSpace());
    return;
  }
  for (const [re, view] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    replace(main);
    try {
      cleanup = await view(main, {
        space: space ?? { id: "", name: "" },
        params: m.slice(1).map(decodeURIComponent),
        query: new URLSearchParams(queryString ?? ""),
        me: me!,
      });
    } catch (e) {
      main.prepend(notice(e instanceof Error ? e.message : String(e)));
    }
    return;
  }
  replace(main, notice(`No page "${path}".`));
}

function noSpace(): HTMLElement {
  const name = h("input", { name: "name", required: true, placeholder: "default" });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const s = await api.call<Space>("POST", "/api/v1/spaces", { name: name.value });
          localStorage.setItem(SPACE_KEY, s.id);
          start(document.getElementById("app")!);
        } catch (err) {
          form.prepend(notice(String((err as Error).message)));
        }
      },
    },
    h("h2", {}, "Create your first space"),
    h("p", { class: "muted" }, "Agents, tasks and services live in a space."),
    h("label", { class: "field" }, h("span", {}, "Name"), name),
    h("button", { type: "submit" }, "Create space"),
  );
  return form;
}

export function start(root: HTMLElement): void {
  applyTheme();
  api.setSignedOutHandler(() => {
    if (!api.hasSession()) start(root);
  });
  const showLogin = () =>
    loginView(root, async () => {
      await signedIn(root);
    });
  if (!api.hasSession()) return showLogin();
  void api.refresh().then(async (ok) => (ok ? signedIn(root) : showLogin()));
}
