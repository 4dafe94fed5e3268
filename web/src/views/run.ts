// Run a task: a shell command (argv or script) on the selected agents, a label selector or
// every agent; the task page then shows each agent's output live.
import { call } from "../api";
import { field, h, notice, replace } from "../dom";
import type { ViewContext } from "../app";
import { go } from "../app";

export function runView(el: HTMLElement, ctx: ViewContext): void {
  const preselected = ctx.query.get("agents") ?? "";
  const target = h(
    "select",
    { name: "target" },
    h("option", { value: "agents", selected: !!preselected }, "Selected agents"),
    h("option", { value: "selector", selected: !preselected }, "Label selector"),
    h("option", { value: "all" }, "All agents"),
  );
  const agents = h("input", { name: "agents", value: preselected, placeholder: "agent ids, comma-separated" });
  const selector = h("input", { name: "selector", placeholder: "env=prod,role in (web)" });
  const command = h("textarea", { name: "command", rows: 3, required: true, placeholder: "uptime", spellcheck: false });
  const mode = h("select", { name: "mode" }, h("option", { value: "all" }, "every matching agent"), h("option", { value: "one" }, "one agent (least busy)"));
  const timeout = h("input", { name: "timeout", type: "number", min: 1, value: 300 });
  const message = h("div");
  const agentsField = field("Agents", agents);
  const selectorField = field("Selector", selector, "k=v, k!=v, k in (a,b), k notin (a,b), k, !k — comma means and");
  const sync = () => {
    agentsField.hidden = target.value !== "agents";
    selectorField.hidden = target.value !== "selector";
  };
  target.addEventListener("change", sync);
  sync();
  const form = h(
    "form",
    {
      class: "card",
      id: "run-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const t =
          target.value === "all"
            ? { all: true }
            : target.value === "selector"
              ? { selector: selector.value }
              : { agents: agents.value.split(",").map((s) => s.trim()).filter(Boolean) };
        try {
          const task = await call<{ id: string }>("POST", `/api/v1/spaces/${ctx.space.id}/tasks`, {
            type: "shell",
            parameters: { script: command.value },
            target: t,
            mode: mode.value,
            timeout_seconds: Number(timeout.value),
          });
          go(`tasks/${task.id}`);
        } catch (err) {
          replace(message, notice((err as Error).message));
        }
      },
    },
    message,
    field("Target", target),
    agentsField,
    selectorField,
    field("Command", command, "Runs with /bin/sh -c on each agent."),
    field("Run on", mode),
    field("Timeout (seconds)", timeout),
    h("button", { type: "submit" }, "Run"),
  );
  replace(el, h("h1", {}, "Run a task"), form);
}
