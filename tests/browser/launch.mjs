// One way to start Debian's Chromium for every browser test: headless, no sandbox (root in CI), and
// without the background networking whose connections this machine's closed network refuses.
import { chromium } from "playwright-core";

export function launchChromium(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}
