// Browser test of the Deployments page: a real risd and ris-agent, Debian's Chromium driven
// headless by playwright-core. No Docker needed (the services are shell services).
//   sign in → open Deployments → a file with a mistake is validated: its line:column shows, and a
//   click puts the cursor there → a small file (one shell service on the agent) is planned: wave
//   1, "create" → applied with the plan's hash, its revision followed live until "applied" → a
//   plan made stale behind the page's back is refused with the server's 409 → a failing start
//   fails the revision and its step's detail shows → the history lists the three revisions.
// Screenshots go to $OUTPUT_DIR (default web/test-output).
// Environment: RISD_BINARY, RIS_AGENT_BINARY (required), CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const RISD = process.env.RISD_BINARY;
const AGENT = process.env.RIS_AGENT_BINARY;
const OUT = resolve(process.env.OUTPUT_DIR || new URL("../test-output", import.meta.url).pathname);
if (!RISD || !AGENT) {
  console.error("set RISD_BINARY and RIS_AGENT_BINARY");
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "ris-deployments-"));
const children = [];
const PASSWORD = "a long admin passphrase";
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

function step(name) {
  console.log(`--- ${name}`);
}

function startRisd() {
  return new Promise((resolveStart, reject) => {
    const p = spawn(RISD, ["--listen", "127.0.0.1:0", "--data-dir", join(work, "risd"), "--threads", "2"], {
      env: { ...process.env, RIS_ADMIN_PASSWORD: PASSWORD, RIS_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(p);
    let text = "";
    const timer = setTimeout(() => reject(new Error(`risd did not start: ${text}`)), 60000);
    p.stdout.on("data", (d) => {
      text += d;
      const url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(text);
      const pin = /sha256 pin: (sha256:[0-9a-f]{64})/.exec(text);
      if (url && pin) {
        clearTimeout(timer);
        resolveStart({ url: url[1], pin: pin[1], process: p });
      }
    });
    p.on("exit", (code) => reject(new Error(`risd exited with ${code}: ${text}`)));
  });
}

function api(method, path, body, token) {
  const args = ["-sS", "--cacert", join(work, "risd/tls/ca.crt"), "-X", method, "-w", "\n%{http_code}", `${server.url}${path}`];
  if (token) args.push("-H", `Authorization: Bearer ${token}`);
  if (body !== undefined) args.push("-H", "Content-Type: application/json", "--data-binary", JSON.stringify(body));
  const out = execFileSync("curl", args, { encoding: "utf8" });
  const nl = out.lastIndexOf("\n");
  const status = Number(out.slice(nl + 1));
  const text = out.slice(0, nl);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const server = await startRisd();
const token = api("POST", "/api/v1/auth/login", { login: "admin", password: PASSWORD }).access_token;
const space = api("POST", "/api/v1/spaces", { name: "default" }, token);

// One agent, for the shell services.
const agentDir = join(work, "agent");
const joinToken = api("POST", `/api/v1/spaces/${space.id}/agents/join-tokens`, { labels: { role: "web" }, uses: 1, ttl_seconds: 600 }, token);
execFileSync(AGENT, ["join", server.url, "--token", joinToken.token, "--ca-hash", server.pin, "--name", "box-1", "--state-dir", agentDir]);
children.push(spawn(AGENT, ["run", "--state-dir", agentDir, "--heartbeat", "1s"], { stdio: "ignore" }));
const agentId = JSON.parse(readFileSync(join(agentDir, "agent.json"), "utf8")).agent_id;
await until("the agent online", () => api("GET", `/api/v1/spaces/${space.id}/agents`, undefined, token).items.some((a) => a.id === agentId && a.status === "online"));

const files = join(work, "files");
mkdirSync(files);
const BAD = "nodes: {}\nservices:\n  s: {kind: shel}\n";
const site = (start) => `nodes:
  box: {agent: ${agentId}}
variables:
  dir: ${files}
services:
  hello:
    kind: shell
    on: box
    shell: {start: "${start}"}
`;
const GOOD = site("echo hello > ${dir}/hello.txt");
const CHANGED = site("echo v2 > ${dir}/hello.txt");
const BROKEN = site("echo it broke >&2; exit 3");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const consoleErrors = [];
// Expected refusals (the 422 of a bad file, the 409 of a stale plan) are logged as network errors.
const networkError = /^(Failed to load resource|WebSocket connection to )/;
page.on("console", (m) => m.type() === "error" && !networkError.test(m.text()) && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.setDefaultTimeout(30000);

const messageText = () => page.textContent("#view");
let failed = false;
const started = Date.now();
try {
  step("sign in and open Deployments");
  await page.goto(server.url);
  await page.fill('input[name="login"]', "admin");
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForSelector("nav#nav");
  await page.click("nav#nav a[data-nav=deployments]");
  await page.waitForSelector("form#deploy-form");
  if ((await page.getAttribute("nav#nav a[data-nav=deployments]", "aria-current")) !== "page") throw new Error("the Deployments link is not marked current");

  step("a file with a mistake: its line:column shows, a click puts the cursor there");
  await page.fill('textarea[name="file"]', BAD);
  await page.click("#deploy-validate");
  const problem = '#deploy-errors li[data-line="3"][data-column="13"]';
  await page.waitForSelector(problem);
  const problemText = await page.textContent(problem);
  if (!problemText.startsWith("3:13") || !problemText.includes("services.s.kind")) throw new Error(`unexpected problem: ${problemText}`);
  await page.click(`${problem} button`);
  const cursor = await page.evaluate(() => {
    const t = document.querySelector('textarea[name="file"]');
    return { focused: document.activeElement === t, at: t.selectionStart };
  });
  const expected = BAD.indexOf("shel}");
  if (!cursor.focused || cursor.at !== expected) throw new Error(`the cursor is not at 3:13 (offset ${expected}): ${JSON.stringify(cursor)}`);
  if ((await page.textContent("#deploy-cursor")) !== "line 3, column 13") throw new Error(`cursor position shown: ${await page.textContent("#deploy-cursor")}`);
  await page.screenshot({ path: join(OUT, "deploy-01-problems.png") });

  step("a valid file validates");
  await page.fill('input[name="deployment"]', "site");
  await page.fill('textarea[name="file"]', GOOD);
  await page.click("#deploy-validate");
  await page.waitForFunction(() => document.querySelector("#view .notice.ok")?.textContent?.startsWith("Valid: 1 node, 1 service in 1 wave"));
  if (await page.$("#deploy-errors")) throw new Error("the old problems still show");

  step("plan: wave 1 creates hello");
  await page.click("#deploy-plan");
  await page.waitForSelector('#plan li[data-wave="1"] li[data-service="hello"] .badge.s-create');
  const hash = await page.getAttribute("#plan", "data-hash");
  if (!/^sha256:[0-9a-f]{64}$/.test(hash)) throw new Error(`plan hash: ${hash}`);
  if (!(await page.textContent("#deploy-apply")).includes(hash.slice(7, 19))) throw new Error("Apply does not name the plan's hash");
  await page.screenshot({ path: join(OUT, "deploy-02-plan.png") });

  step("apply: the revision is followed until applied");
  await page.click("#deploy-apply");
  await page.waitForURL(/#\/deployments\/site\/1$/);
  await page.waitForSelector('#revision[data-state="applied"]', { timeout: 60000 });
  await page.waitForSelector('#steps section[data-wave="1"] tr[data-step="hello@box"][data-state="succeeded"]');
  if (!(await page.textContent("#revision")).includes(hash)) throw new Error("the revision's plan hash is not the one applied");
  if (readFileSync(join(files, "hello.txt"), "utf8") !== "hello\n") throw new Error("the service did not run on the agent");
  await page.screenshot({ path: join(OUT, "deploy-03-applied.png") });

  step("a plan made stale behind the page's back is refused with the server's 409");
  await page.click('button:has-text("Edit this file")');
  await page.waitForSelector("form#deploy-form");
  if ((await page.inputValue('textarea[name="file"]')) !== GOOD) throw new Error("Edit this file did not load the revision's file");
  await page.fill('textarea[name="file"]', CHANGED);
  await page.click("#deploy-plan");
  await page.waitForSelector('#plan li[data-service="hello"] .badge.s-update');
  await page.click('#plan li[data-service="hello"] summary');
  if ((await page.textContent('#plan li[data-service="hello"] ul.fields')) !== "/shell/start") throw new Error("the field that differs is not shown");
  await page.screenshot({ path: join(OUT, "deploy-04-update.png") });
  // Someone else applies the same change meanwhile: the live state moves on.
  api("POST", `/api/v1/spaces/${space.id}/deployments/site/apply`, { file: CHANGED }, token);
  await until("revision 2 applied", () => api("GET", `/api/v1/spaces/${space.id}/deployments/site/revisions/2`, undefined, token).state === "applied", 60000);
  await page.click("#deploy-apply");
  await page.waitForFunction(() => /Not applied: the plan is now sha256:[0-9a-f]+, not sha256:.*plan again/.test(document.querySelector("#view .notice.error")?.textContent ?? ""));
  if (!page.url().endsWith("#/deployments")) throw new Error("a refused apply left the page");

  step("a failing start fails the revision, with the step's detail");
  await page.fill('textarea[name="file"]', BROKEN);
  await page.click("#deploy-plan");
  await page.waitForSelector('#plan li[data-service="hello"] .badge.s-update');
  await page.click("#deploy-apply");
  await page.waitForURL(/#\/deployments\/site\/3$/);
  await page.waitForSelector('#revision[data-state="failed"]', { timeout: 60000 });
  await page.waitForSelector('tr[data-step="hello@box"][data-state="failed"]');
  const detail = await page.textContent("pre.step-detail.failed");
  if (!detail.trim()) throw new Error("the failed step shows no detail");
  if (!(await page.isVisible("#revision-detail"))) throw new Error("the revision's failure is not shown");
  await page.screenshot({ path: join(OUT, "deploy-05-failed.png") });

  step("the history lists the revisions, newest first, with who and the plan");
  await page.click('a[href="#/deployments/site"]');
  await page.waitForSelector('#revisions tr[data-revision="3"]');
  const history = await page.$$eval("#revisions tbody tr", (trs) => trs.map((tr) => [tr.dataset.revision, tr.querySelector(".badge")?.textContent, tr.children[3].textContent]));
  if (JSON.stringify(history) !== JSON.stringify([["3", "failed", "admin"], ["2", "applied", "admin"], ["1", "applied", "admin"]])) throw new Error(`history: ${JSON.stringify(history)}`);
  await page.screenshot({ path: join(OUT, "deploy-06-history.png") });

  step("the page remembers the deployment");
  await page.click("nav#nav a[data-nav=deployments]");
  await page.waitForSelector('#deployments tr[data-deployment="site"]');

  if (consoleErrors.length) throw new Error(`errors in the browser console: ${consoleErrors.join(" | ")}`);
  console.log(`deployments page: all steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${OUT}`);
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack || e}`);
  await page.screenshot({ path: join(OUT, "deploy-failure.png") }).catch(() => undefined);
  console.error(`page at failure: ${page.url()}\n${((await messageText().catch(() => "")) ?? "").slice(0, 2000)}`);
  if (existsSync(join(files, "hello.txt"))) console.error(`hello.txt: ${readFileSync(join(files, "hello.txt"), "utf8")}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
