// End-to-end run of the Werkagenda chat in a real headless Chromium (Debian's /usr/bin/chromium).
//
//   node chat_e2e.mjs --url http://127.0.0.1:7860/ --artifacts ../../test-artifacts
//
// Asks a question, waits for the streamed answer with a citation, follows citation [1] to the
// sources panel, gives feedback, checks keyboard access and lang="nl", runs axe-core (WCAG 2.1 A/AA)
// on the chat and on the agenda table, and saves screenshots. It prints one JSON object with what it
// saw; the pytest wrapper (tests/test_app_browser.py) makes the assertions.
import { launchChromium } from "./launch.mjs";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url ?? "http://127.0.0.1:7860/";
const artifacts = path.resolve(args.artifacts ?? "test-artifacts");
const question = args.question ?? "Wie voert actie 4 van 2.4 uit?";
const executablePath = args.chromium ?? "/usr/bin/chromium";
mkdirSync(artifacts, { recursive: true });

const result = { url, question, steps: [] };
const step = (name, data = {}) => result.steps.push({ name, t: Date.now(), ...data });

async function axeScan(page, label) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const report = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return {
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
        summary: v.nodes.slice(0, 2).map((n) => n.failureSummary),
      })),
      passes: r.passes.length,
      incomplete: r.incomplete.map((v) => ({
        id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
      })),
    };
  });
  return { label, ...report };
}

const browser = await launchChromium(executablePath);
const externalRequests = [];
const consoleErrors = [];
try {
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(90_000);
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && !u.protocol.startsWith("data")) externalRequests.push(req.url());
  });
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });

  const t0 = Date.now();
  await page.goto(url, { waitUntil: "domcontentloaded" });
  const input = page.getByRole("textbox", { name: "Je vraag" });
  await input.waitFor({ state: "visible" });
  result.loadMs = Date.now() - t0;
  result.lang = await page.evaluate(() => document.documentElement.lang);
  result.title = await page.title();
  step("loaded", { ms: result.loadMs });

  // Keyboard: Tab from the top of the page reaches the question box.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let tabs = 0;
  for (; tabs < 60; tabs++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => !!document.activeElement?.closest("#vraag"))) break;
  }
  result.tabsToQuestion = tabs < 60 ? tabs + 1 : null;

  // Ask with the keyboard only: type, Enter. A MutationObserver records every state the answer
  // passes through while it streams in.
  await page.evaluate(() => {
    window.__states = [];
    const log = document.querySelector("#gesprek");
    new MutationObserver(() => {
      const text = log.innerText;
      if (window.__states[window.__states.length - 1] !== text) window.__states.push(text);
    }).observe(log, { childList: true, subtree: true, characterData: true });
  });
  await page.keyboard.type(question);
  const asked = Date.now();
  await page.keyboard.press("Enter");
  const bot = page.locator("#gesprek");
  await bot.locator('a[href="#bron-1"]').first().waitFor({ timeout: 90_000 });
  const linked = await bot.locator('a[href="#bron-1"]').count();
  const states = await page.evaluate(() => window.__states);
  result.answerStates = states.length;
  result.sawPending = states.some((t) => t.includes("Even zoeken"));
  result.answerMs = Date.now() - asked;
  result.answerText = (await bot.innerText()).slice(0, 4000);
  result.citationLinks = linked;
  step("answered", { ms: result.answerMs });

  // Sources panel: source 1 in full, with a link to the source document.
  const source = page.locator("#bron-1");
  await source.waitFor({ state: "attached" });
  result.sourceText = (await source.innerText()).slice(0, 3000);
  result.sourceCount = await page.locator("#bronnen article.wa-bron").count();
  result.sourceLink = await source.locator("a[href^='http']").first().getAttribute("href").catch(() => null);

  // Follow [1] from the answer: the panel scrolls to source 1 and focuses it.
  await bot.locator('a[href="#bron-1"]').first().click();
  await page.waitForTimeout(700);
  result.focusAfterCitation = await page.evaluate(() => document.activeElement?.id ?? "");
  result.sourceInView = await source.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.top < window.innerHeight && r.bottom > 0;
  });
  result.pagesAfterCitation = context.pages().length;

  // Feedback: thumbs up with a comment.
  await page.getByRole("textbox", { name: "Toelichting bij je beoordeling (optioneel)" }).fill("Duidelijk antwoord (browsertest)");
  await page.getByRole("button", { name: "Ja, nuttig", exact: true }).click();
  await page.locator("#status").getByText("Dank je wel voor je beoordeling!").waitFor();
  result.feedbackStatus = await page.locator("#status").innerText();

  await page.waitForTimeout(300);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, "chat.png"), fullPage: true });
  result.axeChat = await axeScan(page, "chat");

  // An example question with one click (a follow-up in the same conversation).
  await page.getByRole("button", { name: "Welke acties vallen onder 2.4?" }).click();
  await page.locator("#status").getByText("Antwoord ontvangen").waitFor();
  result.liveRegion = await page.locator("#wa-live").innerText();
  result.exampleAnswer = (await bot.innerText()).slice(-3000);
  result.exampleSources = await page.locator("#bronnen article.wa-bron").count();

  // Download the conversation as Markdown with its sources.
  const [mdDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download gesprek" }).click(),
  ]);
  result.exportName = mdDownload.suggestedFilename();
  result.exportText = readFileSync(await mdDownload.path(), "utf-8").slice(0, 6000);

  // The agenda table: search narrows the rows.
  await page.getByRole("tab", { name: "Verken de agenda" }).click();
  const count = page.locator("#tabel-aantal .wa-status");
  await count.getByText("onderdelen").waitFor();
  result.tableCountAll = await count.innerText();
  await page.getByRole("textbox", { name: "Zoek in de agenda" }).fill("wallet");
  await page.waitForFunction((before) => {
    const el = document.querySelector("#tabel-aantal .wa-status");
    return el && el.innerText !== before && el.innerText.includes("onderdelen");
  }, result.tableCountAll);
  // the grid is virtualised; aria-rowcount counts all rows plus the header row
  result.tableRowsWallet = Number(await page.locator("#agenda-tabel [role=grid]").getAttribute("aria-rowcount")) - 1;
  result.tableCountWallet = await count.innerText();
  const [csvDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download als CSV" }).click(),
  ]);
  result.csvName = csvDownload.suggestedFilename();
  result.csvText = readFileSync(await csvDownload.path(), "utf-8").slice(0, 3000);
  await page.screenshot({ path: path.join(artifacts, "verken.png"), fullPage: false });
  result.axeTable = await axeScan(page, "verken");
} catch (err) {
  result.error = String(err && err.stack ? err.stack : err);
} finally {
  result.externalRequests = externalRequests;
  result.consoleErrors = consoleErrors.slice(0, 20);
  await browser.close();
}
console.log(JSON.stringify(result));
