// Opens a page in headless Chromium (the system's, through the playwright-core wasmwheel
// cached) and prints what it shows once it is done: the text of #output, and the page's
// window.wasmwheelResult as JSON on the last line. Every request outside ORIGIN (a comma-
// separated list of origins) is refused, and listed on stderr.
//
// usage: node page.js PLAYWRIGHT_DIR CHROMIUM URL ORIGIN[,ORIGIN...]
"use strict";

async function main() {
  const [playwright, executablePath, url, origin] = process.argv.slice(2);
  const { chromium } = require(playwright);
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const context = await browser.newContext();
    const refused = [];
    await context.route("**/*", (route) => {
      const target = route.request().url();
      if (origin.split(",").some((o) => target.startsWith(o))) return route.continue();
      refused.push(target);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.wasmwheelResult !== undefined, null, { timeout: 120000 });
    const shown = await page.evaluate(() => document.getElementById("output").textContent);
    const result = await page.evaluate(() => window.wasmwheelResult);
    if (refused.length) console.error("refused: " + refused.join(" "));
    process.stdout.write(shown);
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(String((e && e.message) || e).split("\n")[0]);
  process.exit(1);
});
