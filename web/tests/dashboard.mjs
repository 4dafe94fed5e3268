// Browser test of the dashboard: a real risd and ris-agent, Debian's Chromium driven headless
// by playwright-core, and (for the service) the Docker daemon the test script runs.
//   sign in with 2FA → an agent enrolled meanwhile appears without a reload → run a command on
//   it and read its output → scale a service and watch its replicas → a schedule, the key-value
//   store, a queue's message published, pulled and acked → open the audit log,
//   plus the phone-sized layout, the theme switch, the instance and cluster views
//   (web/tests/cluster.mjs tests the cluster page with two servers).
// Screenshots of the main views go to $OUTPUT_DIR (default web/test-output).
// Environment: RISD_BINARY, RIS_AGENT_BINARY (required), RIS_TEST_DOCKER_SOCKET
// (default /var/run/docker.sock), CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const RISD = process.env.RISD_BINARY;
const AGENT = process.env.RIS_AGENT_BINARY;
const DOCKER = process.env.RIS_TEST_DOCKER_SOCKET || "/var/run/docker.sock";
const OUT = resolve(process.env.OUTPUT_DIR || new URL("../test-output", import.meta.url).pathname);
if (!RISD || !AGENT) {
  console.error("set RISD_BINARY and RIS_AGENT_BINARY");
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
try {
  execFileSync("curl", ["-sf", "--max-time", "3", "--unix-socket", DOCKER, "http://docker/_ping"]);
} catch {
  console.error(`FAILED: no Docker daemon answers at ${DOCKER} (scripts/test starts one; set RIS_TEST_DOCKER_SOCKET)`);
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), "ris-dashboard-"));
const children = [];
const PASSWORD = "a long admin passphrase";

function cleanup() {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanup);

function step(name) {
  console.log(`--- ${name}`);
}

function startRisd(listen = "127.0.0.1:0") {
  return new Promise((resolveStart, reject) => {
    const p = spawn(RISD, ["--listen", listen, "--data-dir", join(work, "risd"), "--threads", "2"], {
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
    p.exited = new Promise((r) => p.on("exit", r));
  });
}

// HTTPS to risd, trusting its own CA (Node's fetch cannot take a CA per call: curl can).
function api(method, path, body, token, contentType = "application/json") {
  const args = ["-sS", "--cacert", join(work, "risd/tls/ca.crt"), "-X", method, "-w", "\n%{http_code}", `${server.url}${path}`];
  if (token) args.push("-H", `Authorization: Bearer ${token}`);
  if (body !== undefined) {
    args.push("-H", `Content-Type: ${contentType}`);
    if (contentType === "application/json") args.push("--data-binary", JSON.stringify(body));
    else args.push("--data-binary", `@${body}`);
  }
  const out = execFileSync("curl", args, { encoding: "utf8" });
  const nl = out.lastIndexOf("\n");
  const status = Number(out.slice(nl + 1));
  const text = out.slice(0, nl);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const o = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

function startAgent(name, labels) {
  const dir = join(work, `agent-${name}`);
  const join_ = api("POST", `/api/v1/spaces/${space.id}/agents/join-tokens`, { labels, uses: 1, ttl_seconds: 600 }, token);
  execFileSync(AGENT, ["join", server.url, "--token", join_.token, "--ca-hash", server.pin, "--name", name, "--state-dir", dir]);
  const p = spawn(AGENT, ["run", "--state-dir", dir, "--heartbeat", "1s", "--docker-socket", DOCKER], { stdio: "ignore" });
  children.push(p);
  return JSON.parse(readFileSync(join(dir, "agent.json"), "utf8")).agent_id;
}

function busyboxArchive() {
  const root = join(work, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  for (const a of ["sh", "sleep", "true"]) symlinkSync("busybox", join(root, "bin", a));
  execFileSync("tar", ["-C", root, "-cf", join(work, "fs.tar"), "."]);
  return join(work, "fs.tar");
}

let server = await startRisd();
let token = api("POST", "/api/v1/auth/login", { login: "admin", password: PASSWORD }).access_token;
const space = api("POST", "/api/v1/spaces", { name: "default" }, token);
// 2FA on for the administrator: the browser must get past the second step.
const { secret } = api("POST", "/api/v1/me/2fa/totp", { password: PASSWORD }, token);
api("POST", "/api/v1/me/2fa/totp/confirm", { code: totp(secret, Date.now() - 30000) }, token);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
// risd's certificate comes from its own CA, which this throwaway browser profile does not know.
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const consoleErrors = [];
// Script errors fail the test; the network errors Chromium also logs here do not (the sign-in's
// expected 401 "totp-required", the refused reconnects while risd restarts).
const networkError = /^(Failed to load resource|WebSocket connection to )/;
page.on("console", (m) => m.type() === "error" && !networkError.test(m.text()) && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.setDefaultTimeout(30000);
let failed = false;
try {
  step("sign in with password, then the 2FA code");
  await page.goto(server.url);
  if (await page.isVisible('input[name="totp"]')) throw new Error("the 2FA field shows before it is needed");
  await page.fill('input[name="login"]', "admin");
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForSelector('input[name="totp"]:visible');
  await page.fill('input[name="password"]', PASSWORD);
  await page.fill('input[name="totp"]', totp(secret));
  await page.keyboard.press("Enter"); // the form submits from the keyboard
  await page.waitForSelector("table#agents");
  // Keyboard: the first Tab reaches "Skip to content", which moves focus to the view.
  await page.keyboard.press("Tab");
  if ((await page.evaluate(() => document.activeElement?.textContent)) !== "Skip to content") throw new Error("the first Tab stop is not the skip link");
  await page.keyboard.press("Enter");
  if ((await page.evaluate(() => document.activeElement?.id)) !== "view") throw new Error("the skip link did not move focus to the view");
  await page.waitForSelector(".live.on");
  await page.screenshot({ path: join(OUT, "01-agents-empty.png") });

  step("an agent enrolled now appears without a reload");
  const agentId = startAgent("web-1", { role: "web" });
  await page.waitForSelector('tr[data-agent="web-1"] .s-online');
  await page.screenshot({ path: join(OUT, "02-agents.png") });

  step("agent page with health charts");
  await page.click('tr[data-agent="web-1"] a');
  await page.waitForSelector("figure.chart svg polyline", { timeout: 30000 });
  await page.screenshot({ path: join(OUT, "03-agent.png") });

  step("run a command and read its output live");
  await page.goto(`${server.url}/#/run?agents=${agentId}`);
  await page.fill('textarea[name="command"]', "echo hello-from-$(hostname); echo done");
  await page.click('#run-form button[type="submit"]');
  await page.waitForSelector('section.run[data-agent="web-1"] .s-succeeded');
  const output = await page.textContent('section.run[data-agent="web-1"] pre.output');
  if (!/hello-from-\S+\ndone/.test(output)) throw new Error(`unexpected output: ${JSON.stringify(output)}`);
  await page.screenshot({ path: join(OUT, "04-task-output.png") });

  step("scale a service and watch its replicas");
  const archive = api("POST", `/api/v1/spaces/${space.id}/images?format=rootfs&image=ris-dashboard-test:${process.pid}`, busyboxArchive(), token, "application/x-tar");
  api("POST", `/api/v1/spaces/${space.id}/services`, {
    name: "sleeper",
    image: `ris-dashboard-test:${process.pid}`,
    image_archive: archive.id,
    command: ["sh", "-c", "exec sleep 3600"],
    network_mode: "host",
    replicas: 1,
    target: { agents: [agentId] },
  }, token);
  await page.goto(`${server.url}/#/services`);
  await page.waitForSelector('tr[data-service="sleeper"]');
  await page.click('tr[data-service="sleeper"] a');
  await page.waitForFunction(() => document.querySelector("#running")?.textContent === "1/1", null, { timeout: 60000 });
  await page.fill('input[name="replicas"]', "2");
  await page.click('#scale-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#running")?.textContent === "2/2", null, { timeout: 60000 });
  await page.screenshot({ path: join(OUT, "05-service.png") });

  step("a schedule made in the form fires, and its page shows each fire with its task");
  await page.goto(`${server.url}/#/schedules`);
  await page.waitForSelector("form#new-schedule");
  await page.fill('input[name="schedule_name"]', "heartbeat");
  await page.fill('input[name="when"]', "@every 2s");
  await page.fill('input[name="time_zone"]', "Europe/Paris");
  await page.fill('input[name="selector"]', "all");
  await page.fill('textarea[name="script"]', "echo scheduled");
  await page.click("form#new-schedule button[type=submit]");
  await page.waitForSelector('tr[data-schedule="heartbeat"] td.next');
  await page.click('tr[data-schedule="heartbeat"] a');
  await page.waitForSelector('#fires tr[data-state="started"] a[href^="#/tasks/"]', { timeout: 30000 });
  await page.screenshot({ path: join(OUT, "05b-schedule.png") });
  await page.goto(`${server.url}/#/schedules`);
  await page.click('tr[data-schedule="heartbeat"] button');
  await page.waitForSelector('tr[data-schedule="heartbeat"] .badge.s-offline');

  step("the key-value store: write a key, refuse a stale write, see changes live");
  await page.goto(`${server.url}/#/kv`);
  await page.waitForSelector("form#kv-put");
  await page.fill('input[name="key"]', "config/web/port");
  await page.fill('textarea[name="value"]', "8080");
  await page.click("form#kv-put button[type=submit]");
  await page.waitForSelector('tr[data-key="config/web/port"]');
  await page.waitForSelector('#kv-changes li[data-op="put"]');
  await page.fill('textarea[name="value"]', "9090");
  await page.fill('input[name="expected_revision"]', "99");
  await page.click("form#kv-put button[type=submit]");
  await page.waitForFunction(() => document.body.textContent?.includes("is at revision 1 (expected 99)"));

  step("queues: a topic and a subscription made in the forms, a message published, pulled, acked");
  await page.goto(`${server.url}/#/queues`);
  await page.waitForSelector("form#topic-create");
  await page.fill('input[name="topic_name"]', "jobs");
  await page.fill('input[name="max_deliveries"]', "3");
  await page.click("form#topic-create button[type=submit]");
  await page.click('tr[data-topic="jobs"] a');
  await page.waitForSelector("form#subscription-create");
  await page.fill('input[name="subscription_name"]', "workers");
  await page.click("form#subscription-create button[type=submit]");
  await page.waitForSelector('tr[data-subscription="workers"]');
  await page.fill('textarea[name="message"]', "build 42");
  await page.click("form#topic-publish button[type=submit]");
  await page.waitForFunction(() => document.body.textContent?.includes("Published to jobs as seq 1."));
  await page.click('tr[data-subscription="workers"] button');
  await page.waitForSelector('#queue-messages li[data-seq="1"]');
  const pulled = await page.textContent('#queue-messages li[data-seq="1"] pre');
  if (pulled !== "build 42") throw new Error(`unexpected message body: ${JSON.stringify(pulled)}`);
  await page.screenshot({ path: join(OUT, "05c-queues.png") });
  await page.click('#queue-messages button[aria-label="Ack 1"]');
  await page.waitForSelector('#queue-messages li[data-seq="1"]', { state: "detached" });
  await page.click('tr[data-subscription="workers"] button');
  await page.waitForFunction(() => document.querySelector("#queue-pulled")?.textContent === "Nothing waiting for workers.");
  if ((await page.$$("#queue-messages li")).length !== 0) throw new Error("an acknowledged message was pulled again");

  step("the audit log shows what was done");
  await page.goto(`${server.url}/#/audit`);
  await page.waitForSelector('tr[data-action="service.scale"]');
  await page.waitForSelector('tr[data-action="task.create"]');
  await page.fill('input[name="action"]', "service.scale");
  await page.click(".filters button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll("#audit tbody tr")].every((r) => r.getAttribute("data-action") === "service.scale"));
  await page.screenshot({ path: join(OUT, "06-audit.png") });

  step("live views resume after risd restarts, with what changed meanwhile");
  await page.goto(`${server.url}/#/tasks`);
  await page.waitForSelector("table#tasks tbody tr");
  server.process.kill("SIGTERM");
  await server.process.exited;
  await page.waitForSelector(".live.off");
  server = await startRisd(server.url.replace("https://", ""));
  // Made before the page has reconnected: no change notice reaches it, the refetch must.
  const missed = api("POST", `/api/v1/spaces/${space.id}/tasks`, { type: "echo", parameters: { message: "while away" }, target: { agents: [agentId] } }, token);
  await page.waitForSelector(".live.on");
  await page.waitForSelector(`table#tasks a[href="#/tasks/${missed.id}"]`);
  await page.screenshot({ path: join(OUT, "07-tasks-after-restart.png") });

  step("instance view");
  await page.goto(`${server.url}/#/instance`);
  await page.waitForSelector("#health .s-succeeded");
  await page.waitForFunction(() => document.querySelector("#health")?.textContent?.includes("1/1 connected"));
  await page.waitForFunction(() => /Requests\/s\d/.test(document.querySelector("#rates")?.textContent ?? ""), null, { timeout: 15000 });
  await page.screenshot({ path: join(OUT, "08-instance.png") });

  step("cluster view: the one server, alive, marked as the one the page talks to");
  await page.click("nav#nav a[data-nav=cluster]");
  await page.waitForSelector('#cluster tbody tr[data-self="true"] .s-alive');
  if ((await page.$$("#cluster tbody tr")).length !== 1) throw new Error("one server expected on the Cluster page");

  step("members and roles, tokens");
  await page.goto(`${server.url}/#/access`);
  await page.waitForSelector("table#members");
  await page.screenshot({ path: join(OUT, "09-access.png") });

  step("theme switch and a phone-sized screen");
  const before = await page.evaluate(() => document.documentElement.dataset.theme ?? "");
  await page.click('button[aria-label="Switch between dark and light theme"]');
  const after = await page.evaluate(() => document.documentElement.dataset.theme ?? "");
  if (before === after) throw new Error("the theme did not change");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/#/agents`);
  await page.waitForSelector('tr[data-agent="web-1"]');
  if (await page.isVisible("nav#nav")) throw new Error("the navigation should fold into the menu on a phone");
  await page.click("button.menu");
  await page.waitForSelector("nav#nav.open a[data-nav=tasks]");
  await page.screenshot({ path: join(OUT, "10-phone-menu.png") });
  // Keyboard: the menu's links are reachable with Tab.
  await page.keyboard.press("Tab");
  await page.click("nav#nav a[data-nav=tasks]");
  await page.waitForSelector("table#tasks");
  await page.screenshot({ path: join(OUT, "11-phone-tasks.png") });

  if (consoleErrors.length) throw new Error(`errors in the browser console: ${consoleErrors.join(" | ")}`);
  console.log(`dashboard: all steps passed; screenshots in ${OUT}`);
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack || e}`);
  await page.screenshot({ path: join(OUT, "failure.png") }).catch(() => undefined);
  console.error(`page at failure: ${page.url()}\n${(await page.textContent("body").catch(() => "")).slice(0, 2000)}`);
} finally {
  // Nothing left behind in Docker: the agents stop first (their reconcilers would bring
  // containers back), then the service's containers and the image go.
  for (const c of children) c.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, 300));
  const docker = (method, path) => {
    try {
      return JSON.parse(execFileSync("curl", ["-sf", "--unix-socket", DOCKER, "-X", method, `http://docker${path}`], { encoding: "utf8" }) || "null");
    } catch {
      return null;
    }
  };
  const filter = encodeURIComponent(JSON.stringify({ label: [`ris.space=${space.id}`] }));
  for (const c of docker("GET", `/containers/json?all=1&filters=${filter}`) ?? []) docker("DELETE", `/containers/${c.Id}?force=1`);
  docker("DELETE", `/images/${encodeURIComponent(`ris-dashboard-test:${process.pid}`)}?force=1`);
  await browser.close();
}
process.exit(failed ? 1 : 0);
