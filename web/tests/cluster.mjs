// Browser test of the Cluster page: two real risd on one SQLite database (two servers of one
// installation), Debian's Chromium driven headless by playwright-core. No Docker needed.
//   the administrator signed in on the second server sees both servers, alive, the second one
//   marked as the one the page talks to, the agent counts and advertise URLs; after the first
//   server is killed it shows dead; someone without an application role gets no Cluster link
//   and a refusal when opening the page anyway.
// Screenshots go to $OUTPUT_DIR (default web/test-output).
// Environment: RISD_BINARY (required), CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const RISD = process.env.RISD_BINARY;
const OUT = resolve(process.env.OUTPUT_DIR || new URL("../test-output", import.meta.url).pathname);
if (!RISD) {
  console.error("set RISD_BINARY");
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "ris-cluster-"));
const children = [];
const PASSWORD = "a long admin passphrase";
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

function step(name) {
  console.log(`--- ${name}`);
}

// risd `name` with its own data directory; extra flags put it on another's database.
function startRisd(name, extra = []) {
  return new Promise((resolveStart, reject) => {
    const args = ["--listen", "127.0.0.1:0", "--data-dir", join(work, name), "--threads", "2", "--server-id", name, "--server-lease", "2s", ...extra];
    const p = spawn(RISD, args, { env: { ...process.env, RIS_ADMIN_PASSWORD: PASSWORD, RIS_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "inherit"] });
    children.push(p);
    let text = "";
    const timer = setTimeout(() => reject(new Error(`risd did not start: ${text}`)), 60000);
    p.stdout.on("data", (d) => {
      text += d;
      const url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (url) {
        clearTimeout(timer);
        resolveStart({ url: url[1], process: p, ca: join(work, name, "tls/ca.crt") });
      }
    });
    p.on("exit", (code) => reject(new Error(`risd exited with ${code}: ${text}`)));
    p.exited = new Promise((r) => p.on("exit", r));
  });
}

function api(server, method, path, body, token) {
  const args = ["-sS", "--cacert", server.ca, "-X", method, "-w", "\n%{http_code}", `${server.url}${path}`];
  if (token) args.push("-H", `Authorization: Bearer ${token}`);
  if (body !== undefined) args.push("-H", "Content-Type: application/json", "--data-binary", JSON.stringify(body));
  const out = execFileSync("curl", args, { encoding: "utf8" });
  const nl = out.lastIndexOf("\n");
  const status = Number(out.slice(nl + 1));
  const text = out.slice(0, nl);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const first = await startRisd("one");
const second = await startRisd("two", ["--database-url", `sqlite:${join(work, "one", "ris.db")}`, "--master-key-file", join(work, "one", "master.key")]);
api(second, "POST", "/api/v1/accounts", { email: "bob@example.com", username: "bob", password: "bob has a long passphrase" });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const consoleErrors = [];
const networkError = /^(Failed to load resource|WebSocket connection to )/;
page.on("console", (m) => m.type() === "error" && !networkError.test(m.text()) && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.setDefaultTimeout(30000);

// Signs out first when someone is signed in (a goto that only changes the URL's fragment does
// not reload the page, so clearing storage would not end the session in memory).
async function signIn(login, password) {
  await page.goto(second.url);
  await page.waitForSelector('input[name="login"], nav#nav');
  if (await page.isVisible("nav#nav")) await page.click('button:has-text("Sign out")');
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForSelector("nav#nav");
}

let failed = false;
try {
  step("an administrator on the second server sees both servers");
  await signIn("admin", PASSWORD);
  await page.click("nav#nav a[data-nav=cluster]");
  await page.waitForSelector('#cluster tr[data-server="one"] .s-alive');
  await page.waitForSelector('#cluster tr[data-server="two"] .s-alive');
  const rows = await page.$$eval("#cluster tbody tr", (trs) => trs.map((tr) => ({ id: tr.dataset.server, self: tr.dataset.self, text: tr.textContent })));
  if (rows.length !== 2) throw new Error(`expected two servers, got ${JSON.stringify(rows)}`);
  const [one, two] = rows;
  if (one.self !== "false" || two.self !== "true") throw new Error(`the page is served by "two": ${JSON.stringify(rows)}`);
  if (!two.text.includes("you are here") || one.text.includes("you are here")) throw new Error(`only "two" is marked: ${JSON.stringify(rows)}`);
  if (!one.text.includes(first.url) || !two.text.includes(second.url)) throw new Error(`advertise URLs missing: ${JSON.stringify(rows)}`);
  if (!one.text.includes("0.1.0")) throw new Error(`version missing: ${one.text}`);
  if ((await page.textContent("#cluster-self")) !== "two") throw new Error("the summary names the wrong server");
  if (!(await page.textContent("#cluster-summary")).startsWith("2 of 2 servers alive")) throw new Error(await page.textContent("#cluster-summary"));
  await page.screenshot({ path: join(OUT, "cluster-01-alive.png") });

  step("the first server dies: it shows dead");
  first.process.kill("SIGKILL");
  await first.process.exited;
  await page.waitForSelector('#cluster tr[data-server="one"] .s-dead', { timeout: 20000 });
  await page.waitForSelector('#cluster tr[data-server="two"] .s-alive');
  await page.waitForFunction(() => document.querySelector("#cluster-summary")?.textContent?.startsWith("1 of 2 servers alive"));
  await page.screenshot({ path: join(OUT, "cluster-02-dead.png") });

  step("someone without an application role has no Cluster page");
  await signIn("bob", "bob has a long passphrase");
  if (await page.isVisible("nav#nav a[data-nav=cluster]")) throw new Error("the Cluster link shows to a non-administrator");
  if (!(await page.isVisible("nav#nav a[data-nav=instance]"))) throw new Error("the other links should stay");
  await page.goto(`${second.url}/#/cluster`);
  await page.waitForFunction(() => /instance administrators/.test(document.querySelector("#view")?.textContent ?? ""));
  if ((await page.$$("#cluster tbody tr")).length !== 0) throw new Error("servers listed to a non-administrator");
  await page.screenshot({ path: join(OUT, "cluster-03-refused.png") });

  if (consoleErrors.length) throw new Error(`errors in the browser console: ${consoleErrors.join(" | ")}`);
  console.log(`cluster page: all steps passed; screenshots in ${OUT}`);
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack || e}`);
  await page.screenshot({ path: join(OUT, "cluster-failure.png") }).catch(() => undefined);
  console.error(`page at failure: ${page.url()}\n${(await page.textContent("body").catch(() => "")).slice(0, 2000)}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
