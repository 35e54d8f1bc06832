// End-to-end run of the Werkagenda chat in a real headless Chromium (Debian's /usr/bin/chromium).
//
//   node chat_e2e.mjs --url http://127.0.0.1:7860/ --artifacts ../../test-artifacts
//
// On a desktop (1280 x 800): asks a question with the keyboard, every example question, a refusal and
// one of its suggested questions; follows [1] of the first answer after all of them; gives feedback
// under an answer; sets and removes a filter chip; downloads the conversation and the agenda's CSV;
// uses the arrow keys on the tabs. On phones (390 x 844, 320 x 640): asks a question and measures the
// page width on every tab. axe-core (WCAG 2.1 A/AA) runs on every tab at every width, and screenshots
// go to the artifacts dir. It prints one JSON object with what it saw; the pytest wrapper
// (tests/test_app_browser.py) makes the assertions.
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
const refusalQuestion = args.refusal ?? "Wat kost een paspoort?";
const executablePath = args.chromium ?? "/usr/bin/chromium";
mkdirSync(artifacts, { recursive: true });

const result = { url, question, steps: [], axe: {}, widths: {} };
const step = (name, data = {}) => result.steps.push({ name, t: Date.now(), ...data });

async function axeScan(page, label) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  }
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
    };
  });
  result.axe[label] = report;
  return report;
}

const turnCount = (page) => page.locator("#gesprek .wa-beurt").count();

// Wait until answer n is complete (the chat's phase is "klaar" for turn n).
async function waitForTurn(page, n) {
  await page.waitForFunction((k) => {
    const log = document.querySelector("#gesprek .wa-log");
    return log && log.dataset.fase === "klaar" && log.dataset.nieuw === "beurt-" + k;
  }, n, { timeout: 90_000 });
  await page.waitForTimeout(250); // the page script scrolls on the next animation frame
}

// Where the first line of turn n is: at the top of the chat box, and the box on screen?
async function firstLineInView(page, n) {
  return page.evaluate((k) => {
    const box = document.getElementById("gesprek"), turn = document.getElementById("beurt-" + k);
    const b = box.getBoundingClientRect(), t = turn.getBoundingClientRect();
    return {
      turnTopInBox: Math.round(t.top - b.top),
      boxTop: Math.round(b.top), boxBottom: Math.round(b.bottom), viewport: innerHeight,
      // its first line at the top of the box; or, for an answer shorter than the box, all of it in the box
      ok: t.top >= b.top - 2 && b.top >= -2 && b.top < innerHeight * 0.7 &&
        (t.top <= b.top + 60 || t.bottom <= b.bottom + 2),
      scrolledToEnd: box.scrollTop + box.clientHeight >= box.scrollHeight - 2 && box.scrollHeight > box.clientHeight + 40,
    };
  }, n);
}

async function describeTurn(page, n) {
  return page.evaluate((k) => {
    const turn = document.getElementById("beurt-" + k), answer = document.getElementById("antwoord-" + k);
    return {
      question: turn.querySelector(".wa-vraag").innerText.trim(),
      refused: answer.classList.contains("wa-geweigerd"),
      error: answer.classList.contains("wa-fout"),
      cites: answer.querySelectorAll("a.wa-cite").length,
      sources: answer.querySelectorAll("details.wa-bron").length,
      referralLinks: Array.from(answer.querySelectorAll(".wa-verwijzing a")).map((a) => a.href),
      suggestions: Array.from(answer.querySelectorAll("button.wa-suggestie")).map((b) => b.innerText.trim()),
      feedbackBlocks: answer.querySelectorAll(".wa-feedback").length,
      text: answer.innerText.slice(0, 1500),
      textEnd: (answer.querySelector(".wa-tekst")?.innerText ?? "").slice(-400),
    };
  }, n);
}

async function ask(page, text) {
  const n = (await turnCount(page)) + 1;
  const input = page.getByRole("textbox", { name: "Je vraag" });
  await input.fill(text);
  await input.press("Enter");
  await waitForTurn(page, n);
  return n;
}

async function pageWidth(page) {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

async function openTab(page, name) {
  await page.getByRole("tab", { name }).click();
  await page.waitForTimeout(400);
}

// A Gradio dropdown: open it, remember its options, type to narrow, click the option.
async function chooseOption(page, label, optionStart) {
  const box = page.getByRole("combobox", { name: label });
  await box.click();
  const options = await page.locator('[role="option"]').evaluateAll((els) => els.map((el) => el.getAttribute("aria-label")));
  await box.fill(optionStart);
  await page.locator('[role="option"]', { hasText: optionStart }).first().click();
  await page.waitForTimeout(300);
  return options;
}

async function duplicateIds(page) {
  return page.evaluate(() => {
    const counts = {};
    document.querySelectorAll("[id]").forEach((el) => { counts[el.id] = (counts[el.id] || 0) + 1; });
    return Object.entries(counts).filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);
  });
}

const browser = await launchChromium(executablePath);
const externalRequests = [];
const consoleErrors = [];
function watchPage(page) {
  page.setDefaultTimeout(60_000);
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && !u.protocol.startsWith("data")) externalRequests.push(req.url());
  });
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
}

try {
  // ------------------------------------------------------------------ desktop
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  watchPage(page);
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "domcontentloaded" });
  const input = page.getByRole("textbox", { name: "Je vraag" });
  await input.waitFor({ state: "visible" });
  result.loadMs = Date.now() - t0;
  result.lang = await page.evaluate(() => document.documentElement.lang);
  result.title = await page.title();
  result.feedbackBeforeAnswer = await page.locator(".wa-feedback, #duim-omhoog").count();

  // Keyboard: Tab from the top of the page reaches the question box.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let tabs = 0;
  for (; tabs < 60; tabs++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => !!document.activeElement?.closest("#vraag"))) break;
  }
  result.tabsToQuestion = tabs < 60 ? tabs + 1 : null;

  // Record what a screen reader would get: every state of the chat, every aria-busy value, and
  // every text the one live region speaks.
  await page.evaluate(() => {
    window.__states = []; window.__busy = []; window.__spoken = [];
    const box = document.querySelector("#gesprek");
    new MutationObserver(() => {
      const text = box.innerText;
      if (window.__states[window.__states.length - 1] !== text) window.__states.push(text);
      const busy = box.getAttribute("aria-busy");
      if (window.__busy[window.__busy.length - 1] !== busy) window.__busy.push(busy);
    }).observe(box, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["aria-busy"] });
    const live = document.getElementById("wa-live");
    new MutationObserver(() => window.__spoken.push(live.textContent)).observe(live, { childList: true, characterData: true, subtree: true });
  });
  await page.keyboard.type(question);
  const asked = Date.now();
  await page.keyboard.press("Enter");
  await waitForTurn(page, 1);
  result.answerMs = Date.now() - asked;
  const seen = await page.evaluate(() => ({ states: window.__states, busy: window.__busy, spoken: window.__spoken }));
  result.answerStates = seen.states.length;
  result.sawPending = seen.states.some((t) => t.includes("Even zoeken"));
  result.busyValues = seen.busy;
  result.spokenFirst = seen.spoken;
  result.first = await describeTurn(page, 1);
  result.firstLabel = await page.locator("#b1-bron-1 summary").innerText();
  result.firstSourceLink = await page.locator("#b1-bron-1 .wa-link a").getAttribute("href").catch(() => null);
  result.firstInView = await firstLineInView(page, 1);
  step("answered", { ms: result.answerMs });

  // Every example question gets an answer with sources, and its first line is shown, not its end.
  result.examples = [];
  const examples = await page.locator("#voorbeelden button").allInnerTexts();
  for (const example of examples) {
    const n = (await turnCount(page)) + 1;
    await page.evaluate(() => { window.__spoken = []; });
    await page.getByRole("button", { name: example, exact: true }).click();
    await waitForTurn(page, n);
    await page.waitForTimeout(300);
    result.examples.push({
      example, ...(await describeTurn(page, n)), inView: await firstLineInView(page, n),
      spoken: await page.evaluate(() => window.__spoken),
    });
  }
  step("examples", { n: result.examples.length });

  // After all of them, [1] of the first answer still opens the first answer's own source, in place.
  const scrollBefore = await page.evaluate(() => window.scrollY);
  await page.locator("#antwoord-1 a.wa-cite").first().click();
  await page.waitForTimeout(900);
  result.citationAfterMany = await page.evaluate((y0) => {
    const card = document.getElementById("b1-bron-1"), box = document.getElementById("gesprek");
    const r = card.getBoundingClientRect(), b = box.getBoundingClientRect();
    return {
      open: card.open, focusInCard: !!document.activeElement?.closest("#b1-bron-1"),
      label: card.querySelector("summary").innerText, inView: r.top < Math.min(innerHeight, b.bottom) && r.bottom > Math.max(0, b.top),
      pageJump: Math.round(window.scrollY - y0), text: card.innerText.slice(0, 2000),
    };
  }, scrollBefore);
  result.pagesAfterCitation = context.pages().length;
  await page.locator("#b1-bron-1 .wa-terug a").click();
  await page.waitForTimeout(700);
  result.backFocus = await page.evaluate(() => ({
    inFirstAnswer: !!document.activeElement?.closest("#antwoord-1"),
    bron: document.activeElement?.getAttribute("data-bron") ?? "",
  }));

  // Feedback under the first answer: pressed state, then a comment.
  await page.locator('#antwoord-1 button.wa-fb[data-oordeel="up"]').click();
  await page.locator('#antwoord-1 button.wa-fb[data-oordeel="up"][aria-pressed="true"]').waitFor();
  result.pressedAfterVote = await page.evaluate(() => Array.from(document.querySelectorAll('button.wa-fb[aria-pressed="true"]')).map(
    (b) => b.closest(".wa-antwoord").id + ":" + b.dataset.oordeel));
  await page.locator("#b1-toelichting").fill("Duidelijk antwoord (browsertest)");
  await page.locator("#antwoord-1 button.wa-fb-stuur").click();
  await page.locator("#status").getByText("Dank je wel voor je toelichting").waitFor();
  result.feedbackStatus = await page.locator("#status").innerText();
  result.feedbackBlocks = await page.locator("#gesprek .wa-feedback").count();
  result.answers = await turnCount(page);

  // A refusal: where to go, and suggested questions that can be clicked.
  const nRefusal = await ask(page, refusalQuestion);
  result.refusal = await describeTurn(page, nRefusal);
  const suggestion = result.refusal.suggestions[0];
  if (suggestion) {
    await page.locator(`#antwoord-${nRefusal} button.wa-suggestie`).first().click();
    await waitForTurn(page, nRefusal + 1);
    result.suggestionAnswer = await describeTurn(page, nRefusal + 1);
  }
  await page.locator(`#beurt-${nRefusal}`).scrollIntoViewIfNeeded();
  await page.evaluate((k) => {
    const box = document.getElementById("gesprek"), turn = document.getElementById("beurt-" + k);
    box.scrollTop = turn.offsetTop - 8;
  }, nRefusal);
  await page.screenshot({ path: path.join(artifacts, "desktop-weigering.png") });

  // A filter as a chip above the question box, and removing it.
  await page.getByRole("button", { name: /^Filters/ }).click();
  result.uitvoerderOptions = await chooseOption(page, "Uitvoerder (organisatie)", "VNG");
  await page.locator("#actieve-filters .wa-chip").first().waitFor();
  result.chips = await page.locator("#actieve-filters .wa-chip").allInnerTexts();
  const nFiltered = await ask(page, "Wat doet de overheid aan digitale vaardigheden?");
  result.filtered = await describeTurn(page, nFiltered);
  await page.screenshot({ path: path.join(artifacts, "desktop-filter.png") });
  await page.locator("#actieve-filters .wa-chip").first().click();
  await page.waitForFunction(() => !document.querySelector("#actieve-filters .wa-chip"));
  result.chipsAfterRemove = await page.locator("#actieve-filters .wa-chip").count();
  result.uitvoerderAfterRemove = await page.getByRole("combobox", { name: "Uitvoerder (organisatie)" }).inputValue();

  // Download the conversation as Markdown with its sources.
  const [mdDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download gesprek" }).click(),
  ]);
  result.exportName = mdDownload.suggestedFilename();
  result.exportText = readFileSync(await mdDownload.path(), "utf-8").slice(0, 8000);

  result.duplicateIdsChat = await duplicateIds(page);
  result.citationStyle = await page.locator("#antwoord-1 a.wa-cite").first().evaluate((a) => getComputedStyle(a).textDecorationLine);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => { const box = document.getElementById("gesprek"); box.scrollTop = 0; });
  await page.locator("#antwoord-1 a.wa-cite").first().click();
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(artifacts, "desktop-chat.png") });
  await page.screenshot({ path: path.join(artifacts, "chat.png"), fullPage: true });
  await axeScan(page, "desktop-chat");
  result.widths.desktop = { chat: await pageWidth(page) };
  result.panelWidths = { chat: await page.locator("#paneel-chat").evaluate((el) => Math.round(el.getBoundingClientRect().width)) };

  // The tabs follow the ARIA tabs pattern: arrow keys move between them.
  await page.locator('[role="tab"][aria-selected="true"]').focus();
  await page.keyboard.press("ArrowRight");
  await page.waitForTimeout(400);
  result.arrowTab = await page.evaluate(() => ({
    focused: document.activeElement?.innerText ?? "", selected: document.querySelector('[role="tab"][aria-selected="true"]')?.innerText ?? "",
    controls: document.activeElement?.getAttribute("aria-controls") ?? "",
    controlsExists: !!document.getElementById(document.activeElement?.getAttribute("aria-controls") || "-"),
  }));

  // The agenda table: search narrows the rows; filter, then the CSV is named after the filter.
  await openTab(page, "Verken de agenda");
  const count = page.locator("#tabel-aantal .wa-status");
  await count.getByText("onderdelen").waitFor();
  result.tableCountAll = await count.innerText();
  result.panelWidths.verken = await page.locator("#paneel-verken").evaluate((el) => Math.round(el.getBoundingClientRect().width));
  await page.getByRole("textbox", { name: "Zoek in de agenda" }).fill("wallet");
  await page.waitForFunction((before) => {
    const el = document.querySelector("#tabel-aantal .wa-status");
    return el && el.innerText !== before && el.innerText.includes("onderdelen");
  }, result.tableCountAll);
  result.tableRowsWallet = await page.locator("#agenda-tabel tbody tr").count();
  result.tableCountWallet = await count.innerText();
  await page.getByRole("textbox", { name: "Zoek in de agenda" }).fill("");
  await page.waitForFunction((all) => document.querySelector("#tabel-aantal .wa-status")?.innerText === all, result.tableCountAll);
  await chooseOption(page, "Soort", "Actie");
  await chooseOption(page, "Uitvoerder (organisatie)", "VNG");
  await page.waitForFunction(() => /werkagenda-acties-vng\.csv/.test(document.querySelector("#download-csv")?.innerText ?? ""));
  result.tableCountVng = await count.innerText();
  result.tableRowsVng = await page.locator("#agenda-tabel tbody tr").count();
  result.tableUitvoerdersVng = await page.locator('#agenda-tabel td[data-label="Uitvoerders"]').allInnerTexts();
  const [csvDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("#download-csv").click(),
  ]);
  result.csvName = csvDownload.suggestedFilename();
  const csvBytes = readFileSync(await csvDownload.path());
  result.csvBom = csvBytes.subarray(0, 3).toString("hex");
  result.csvText = csvBytes.toString("utf-8").slice(0, 4000);
  await page.screenshot({ path: path.join(artifacts, "desktop-verken.png") });
  await axeScan(page, "desktop-verken");
  result.widths.desktop.verken = await pageWidth(page);

  await openTab(page, "Over deze assistent");
  result.aboutText = await page.locator("#paneel-over").innerText();
  result.panelWidths.over = await page.locator("#paneel-over").evaluate((el) => Math.round(el.getBoundingClientRect().width));
  await axeScan(page, "desktop-over");
  result.widths.desktop.over = await pageWidth(page);
  await context.close();

  // ------------------------------------------------------------------ phones
  for (const [w, h] of [[390, 844], [320, 640]]) {
    // the 320 px phone has an English browser: the names a screen reader reads must still be Dutch
    const locale = w === 320 ? "en-US" : "nl-NL";
    const phone = await browser.newContext({ locale, viewport: { width: w, height: h }, hasTouch: true, isMobile: true });
    const p = await phone.newPage();
    watchPage(p);
    await p.goto(url, { waitUntil: "domcontentloaded" });
    await p.getByRole("textbox", { name: "Je vraag" }).waitFor({ state: "visible" });
    const key = `phone${w}`;
    const n1 = await ask(p, "Welke acties vallen onder 2.4?");
    const n2 = await ask(p, refusalQuestion);
    const chatBox = await p.evaluate(() => {
      const r = document.getElementById("gesprek").getBoundingClientRect();
      return { height: Math.round(r.height), viewport: innerHeight };
    });
    result.widths[key] = { chat: await pageWidth(p), chatBox, firstInView: await firstLineInView(p, n2), locale };
    result.widths[key].names = await p.evaluate(() => Array.from(new Set(Array.from(
      document.querySelectorAll("[aria-label], [title], [aria-roledescription]"),
    ).flatMap((el) => ["aria-label", "title", "aria-roledescription"].map((a) => el.getAttribute(a)).filter(Boolean)))));
    await p.locator(`#antwoord-${n1} a.wa-cite`).first().click();
    await p.waitForTimeout(700);
    result.widths[key].cardOpen = await p.evaluate((k) => document.getElementById(`b${k}-bron-1`).open, n1);
    result.widths[key].chatAfterCard = await pageWidth(p);
    await p.screenshot({ path: path.join(artifacts, `${key}-chat.png`) });
    await p.screenshot({ path: path.join(artifacts, `${key}-chat-hele-pagina.png`), fullPage: true });
    await axeScan(p, `${key}-chat`);
    await openTab(p, "Verken de agenda");
    await p.locator("#tabel-aantal .wa-status").getByText("onderdelen").waitFor();
    result.widths[key].verken = await pageWidth(p);
    result.widths[key].rowDisplay = await p.locator("#agenda-tabel tbody tr").first().evaluate((tr) => getComputedStyle(tr).display);
    result.widths[key].headerHidden = await p.locator("#agenda-tabel thead").evaluate((el) => el.getBoundingClientRect().width <= 1);
    await p.locator("#agenda-tabel tbody tr").nth(1).scrollIntoViewIfNeeded(); // the rows as cards
    await p.screenshot({ path: path.join(artifacts, `${key}-verken.png`) });
    await axeScan(p, `${key}-verken`);
    await openTab(p, "Over deze assistent");
    result.widths[key].over = await pageWidth(p);
    await axeScan(p, `${key}-over`);
    await phone.close();
  }
} catch (err) {
  result.error = String(err && err.stack ? err.stack : err);
} finally {
  result.externalRequests = externalRequests;
  result.consoleErrors = consoleErrors.slice(0, 20);
  await browser.close();
}
console.log(JSON.stringify(result));
