// A few DOM helpers: the whole app is plain TypeScript, no framework.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export function ago(time: string | null | undefined): string {
  if (!time) return "";
  const secs = Math.round((Date.now() - Date.parse(time)) / 1000);
  if (Number.isNaN(secs)) return "";
  if (secs < 120) return `${Math.max(secs, 0)}s ago`;
  if (secs < 7200) return `${Math.round(secs / 60)}m ago`;
  if (secs < 172800) return `${Math.round(secs / 3600)}h ago`;
  return `${Math.round(secs / 86400)}d ago`;
}

export function percent(part?: number, whole?: number): string {
  return whole ? `${Math.round((100 * (part ?? 0)) / whole)}%` : "";
}

export function labels(l: Record<string, string> | undefined): HTMLElement {
  return h("span", { class: "labels" }, Object.entries(l ?? {}).map(([k, v]) => h("span", { class: "tag" }, `${k}=${v}`)));
}

export function badge(state: string): HTMLElement {
  return h("span", { class: `badge s-${state}` }, state);
}

// A labelled form field.
export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", {}, hint) : null);
}

// Shows an error (or a notice) at the top of a view.
export function notice(text: string, kind: "error" | "ok" = "error"): HTMLElement {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}
