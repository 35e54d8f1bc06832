// Hostile input in a real headless Chromium: HTML, JavaScript and Markdown typed as questions, and
// a user-added document whose text carries the same payloads, must show up as text and never run.
//
//   node bad_input_e2e.mjs --url http://127.0.0.1:7860/ --chromium /usr/bin/chromium \
//        --questions '["<img src=x onerror=...>", ...]'
//
// Every payload sets window.__xss (or opens a dialog) if it ever runs. The script asks each question
// with the keyboard, then a normal one, and prints one JSON object with what it saw; the pytest
// wrapper (tests/test_bad_input.py) makes the assertions.
import { launchChromium } from "./launch.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url ?? "http://127.0.0.1:7860/";
const executablePath = args.chromium ?? "/usr/bin/chromium";
const questions = JSON.parse(args.questions ?? "[]");

const result = { url, asked: [], dialogs: [] };
const browser = await launchChromium(executablePath);
const externalRequests = [];
try {
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on("dialog", async (dialog) => { result.dialogs.push(dialog.message()); await dialog.dismiss(); });
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && !u.protocol.startsWith("data")) externalRequests.push(req.url());
  });
  await page.goto(url, { waitUntil: "domcontentloaded" });
  const input = page.getByRole("textbox", { name: "Je vraag" });
  await input.waitFor({ state: "visible" });

  // Each question is one more turn in the chat; it is done when the chat says so (data-fase="klaar"),
  // whether it was answered, refused or rejected.
  for (const question of questions) {
    const n = (await page.locator("#gesprek .wa-beurt").count()) + 1;
    await input.fill(question);
    await input.press("Enter");
    await page.waitForFunction((k) => {
      const log = document.querySelector("#gesprek .wa-log");
      return log && log.dataset.fase === "klaar" && log.dataset.nieuw === "beurt-" + k;
    }, n, { timeout: 60_000 });
    await page.waitForTimeout(300); // let the last render settle
    result.asked.push({
      question,
      status: await page.locator("#status").innerText(),
      lastUser: await page.locator("#gesprek").evaluate((el) => {
        const users = el.querySelectorAll('[data-testid="user"]');
        if (!users.length) return "";
        const copy = users[users.length - 1].cloneNode(true); // without the screen-reader-only "Jouw vraag:"
        copy.querySelectorAll(".wa-sr").forEach((s) => s.remove());
        return copy.textContent;
      }),
      lastBot: await page.locator("#gesprek").evaluate((el) => {
        const bots = el.querySelectorAll('[data-testid="bot"]');
        if (!bots.length) return "";
        const text = bots[bots.length - 1].querySelector(".wa-tekst") ?? bots[bots.length - 1];
        const copy = text.cloneNode(true);
        copy.querySelectorAll(".wa-sr").forEach((s) => s.remove());
        return copy.textContent.slice(0, 3000);
      }),
      // the last answer's own source cards (closed cards: textContent, not innerText)
      sources: await page.locator("#gesprek").evaluate((el) => {
        const bots = el.querySelectorAll('[data-testid="bot"]');
        const cards = bots.length ? bots[bots.length - 1].querySelector(".wa-bronnen") : null;
        return cards ? cards.textContent.slice(0, 3000) : "";
      }),
    });
  }
  result.gesprekText = (await page.locator("#gesprek").innerText()).slice(0, 20000);
  result.citationLinks = await page.locator("#gesprek a.wa-cite").count();
  result.xss = await page.evaluate(() => window.__xss ?? null);
  // Elements the payloads would create if they were rendered as HTML instead of text.
  result.injected = await page.evaluate(() => Array.from(document.querySelectorAll(
    '#gesprek img, #bronnen img, #gesprek script, #bronnen script, #gesprek iframe, #bronnen iframe, ' +
    'a[href^="javascript:"], [onerror], [onload]:not(body):not(link):not(script[src])',
  )).map((el) => el.outerHTML.slice(0, 200)));
} catch (err) {
  result.error = String(err && err.stack ? err.stack : err);
} finally {
  result.externalRequests = externalRequests;
  await browser.close();
}
console.log(JSON.stringify(result));
