// Browser end-to-end tests: the real `paperboy serve` on the demo corpus, driven through
// Debian's chromium by playwright-core (never a downloaded browser). Screenshots go to
// $PB_ARTIFACTS (default build/e2e-artifacts).
//
//   node --test tests/e2e/browser.test.mjs        (PB_BINARY=path/to/paperboy)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.PB_BINARY || path.join(root, "build/release/paperboy");
const artifacts = process.env.PB_ARTIFACTS || path.join(root, "build/e2e-artifacts");
const chromiumPath = process.env.PB_CHROMIUM || "/usr/bin/chromium";
const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let data, server, base, browser;

async function startServer() {
  const child = spawn(binary, ["--data", data, "serve", "--port", "0", "--access-log", ""], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PAPERBOY_KATEX_DIR: path.join(root, "node_modules/katex/dist") },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + stderr)), 60000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/on (http:\/\/[^\s]+?)\/?\s/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { child, url };
}

before(async () => {
  assert.ok(existsSync(binary), `no paperboy binary at ${binary} (set PB_BINARY)`);
  assert.ok(existsSync(chromiumPath), `no chromium at ${chromiumPath}: run scripts/setup`);
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(path.join(tmpdir(), "pb-e2e-"));
  execFileSync(binary, ["--data", data, "-q", "ingest", path.join(root, "examples/demo-papers.jsonl")]);
  const s = await startServer();
  server = s.child;
  base = s.url;
  browser = await chromium.launch({ executablePath: chromiumPath, args: flags });
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const exited = new Promise((r) => server.on("exit", r));
    server.kill("SIGTERM");
    const code = await exited;
    assert.equal(code, 0, "serve exits cleanly on SIGTERM");
  }
  if (data) rmSync(data, { recursive: true, force: true });
});

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

// Bytes transferred for the page's HTML, CSS and JavaScript (fonts and images aside), on a
// first visit (a fresh browser context: nothing cached).
async function pageWeight(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sizes = [];
  const parts = [];
  page.on("requestfinished", async (req) => {
    const type = req.resourceType();
    if (type === "document" || type === "stylesheet" || type === "script") {
      sizes.push(req.sizes().then((s) => {
        parts.push(`${new URL(req.url()).pathname}=${s.responseBodySize}`);
        return s.responseBodySize + s.responseHeadersSize;
      }));
    }
  });
  await page.goto(url, { waitUntil: "networkidle" });
  const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  await context.close();
  return { total, parts };
}

test("search, open a paper, math renders", async () => {
  const page = await browser.newPage();
  await page.goto(base + "/");
  await shot(page, "daily");
  assert.match(await page.locator("h1").innerText(), /\d{4}/);
  assert.ok((await page.locator("article.card").count()) > 0, "the day's papers are listed");

  // Search from the header with the keyboard.
  await page.getByLabel("Search papers").fill("low-rank adaptation");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/search\?q=/);
  await shot(page, "search");
  const first = page.locator("article.card h3 a").first();
  assert.match(await first.innerText(), /LoRA/);
  assert.ok((await page.locator("article.card mark").count()) > 0, "query terms are highlighted");

  await first.click();
  await page.waitForURL(/\/papers\/2106\.09685/);
  await page.locator(".abstract .katex").first().waitFor({ timeout: 10000 });
  assert.ok((await page.locator(".abstract .katex").count()) > 0, "TeX math rendered by KaTeX");
  assert.ok((await page.locator("a", { hasText: "arXiv abstract" }).getAttribute("href")).includes("arxiv.org/abs/2106.09685"));
  assert.ok((await page.locator("#sim-h + .list article.card").count()) > 0, "similar papers");
  await shot(page, "paper");
  await page.close();
});

test("sign up, upvote, save, subscribe, log out and in again", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + "/signup");
  await page.getByLabel("User name").fill("e2e-user");
  await page.locator("main").getByLabel("E-mail").fill("e2e@example.org");
  await page.getByLabel(/Password/).fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(base + "/");
  assert.ok(await page.getByRole("link", { name: "e2e-user" }).isVisible(), "signed in");

  await page.goto(base + "/papers/1706.03762");
  const vote = page.locator(".actions .upvote button");
  const before = Number(await vote.locator(".count").innerText());
  await vote.click();
  await page.waitForFunction(() =>
    document.querySelector(".actions .upvote button").getAttribute("aria-pressed") === "true");
  assert.equal(Number(await vote.locator(".count").innerText()), before + 1);

  await page.getByLabel("Tags").fill("transformers, to-read");
  await page.getByRole("button", { name: "Save to library" }).click();
  await page.waitForURL(/\/papers\/1706\.03762/);
  await shot(page, "paper-signed-in");
  await page.goto(base + "/library");
  assert.match(await page.locator("main").innerText(), /Attention Is All You Need/);
  assert.match(await page.locator(".tags").first().innerText(), /to-read/);
  await shot(page, "library");

  // Papers like the saved one, each with its reasons.
  await page.getByRole("link", { name: "For you" }).click();
  await page.waitForURL(base + "/for-you");
  assert.ok((await page.locator("article.card").count()) > 0, "recommendations");
  assert.match(await page.locator(".why").first().innerText(), /^Why: .+ · like Attention Is All You Need/);
  await shot(page, "for-you");

  await page.goto(base + "/about");
  await page.locator("#sub-email").fill("digest@example.org");
  await page.getByLabel("How often").selectOption("weekly");
  await page.getByRole("button", { name: /^Subscribe/ }).click();
  assert.match(await page.locator("main").innerText(), /weekly digest for digest@example.org/);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(base + "/");
  assert.ok(await page.getByRole("link", { name: "Log in" }).isVisible());

  await page.goto(base + "/login");
  await page.getByLabel("User name or e-mail").fill("e2e-user");
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(base + "/");
  await page.goto(base + "/papers/1706.03762");
  assert.equal(await page.locator(".actions .upvote button").getAttribute("aria-pressed"), "true",
    "the upvote was kept");
  await context.close();
});

test("a subscription is confirmed from its mail, changed and stopped", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.locator("#sub-email").fill("prefs-e2e@example.org");
  await page.getByRole("button", { name: /^Subscribe/ }).click();
  assert.match(await page.locator("main").innerText(), /confirm the address/);
  // The confirmation mail waits in the outbox (no SMTP server here): read its link there.
  const raw = execFileSync("sqlite3", [
    path.join(data, "paperboy.db"),
    "SELECT message FROM outbox WHERE kind = 'confirm' AND recipient = 'prefs-e2e@example.org'",
  ]).toString();
  const text = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");  // quoted-printable
  const link = text.match(/http:\/\/\S+\/subscription\/confirm\?t=[A-Za-z0-9_.-]+/);
  assert.ok(link, "a confirmation link in the mail");
  await page.goto(link[0]);
  assert.match(await page.locator("main").innerText(), /Confirmed/);
  await page.getByLabel("Weekly").check();
  await page.getByLabel("Saved searches, one per line").fill("diffusion models\nattention");
  await page.getByRole("button", { name: "Save" }).click();
  const saved = await page.locator("main").innerText();
  assert.match(saved, /Saved\./);
  assert.match(saved, /active/);
  assert.equal(await page.getByLabel("Weekly").isChecked(), true);
  assert.equal(await page.getByLabel("Saved searches, one per line").inputValue(),
    "diffusion models\nattention\n");
  await shot(page, "preferences");
  await page.getByRole("button", { name: "Unsubscribe" }).click();
  assert.match(await page.locator("main").innerText(), /No more digests go to prefs-e2e@example.org/);
  await context.close();
});

test("works on a phone and with a keyboard", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  for (const p of ["/", "/search?q=diffusion", "/papers/1706.03762", "/trending", "/about"]) {
    await page.goto(base + p);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${p} scrolls sideways by ${overflow}px on a phone`);
  }
  await page.goto(base + "/");
  await shot(page, "phone-daily");
  // The first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  const inMain = await page.evaluate(() => !!document.activeElement.closest("main"));
  assert.ok(inMain, "after the skip link, Tab continues inside the content");
  // Every form control has a label.
  const unlabeled = await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select")].filter(
      (el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).length);
  assert.equal(unlabeled, 0);
  await context.close();
});

test("pages stay under 100 KB of HTML, CSS and JavaScript", async () => {
  const weights = {};
  for (const p of ["/", "/trending", "/search?q=diffusion", "/papers/2106.09685",
                   "/authors/Diederik%20P%20Kingma", "/about", "/signup"]) {
    const w = await pageWeight(base + p);
    weights[p] = w.total;
    assert.ok(w.total <= 100 * 1024, `${p}: ${w.total} bytes (${w.parts.join(", ")})`);
  }
  console.log("page weights (bytes transferred, first visit):", JSON.stringify(weights));
});
