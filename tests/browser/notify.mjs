// The environment page's notifications panel in Debian's Chromium (playwright-core):
//   node tests/browser/notify.mjs <base-url> <api-key> <screenshot.png>
// Signs in with the key, adds a subscription through the form, deletes another one, and prints
// one line "RESULT <json>" with what the panel showed. Requests off localhost are aborted.
import {chromium} from "playwright-core";

const [base, key, shot] = process.argv.slice(2);
const result = {ok: false, errors: [], external: []};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({viewport: {width: 1400, height: 1000}, locale: "vi-VN"});
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (["127.0.0.1", "localhost"].includes(url.hostname) || url.protocol === "data:") {
      return route.continue();
    }
    result.external.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => result.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") result.errors.push(m.text()); });
  await page.goto(base + "/login?next=/maps/environment");
  await page.fill("input[name=api_key]", key);
  await Promise.all([page.waitForURL("**/maps/environment**"), page.click("form[action='/login'] button[type=submit]")]);
  await page.waitForSelector("#notify-panel:not([hidden]) #report-list li");
  result.before = await page.$$eval("#notify-list li", (lis) => lis.map((li) => li.textContent));
  result.reports = await page.$$eval("#report-list li", (lis) => lis.map((li) => li.textContent));
  result.links = await page.$$eval("#report-list a", (as) => as.map((a) => a.getAttribute("href")));
  await page.selectOption("#notify-kind", "aqi");
  await page.fill("#notify-area", process.env.AREA || "01");
  await page.fill("#notify-email", "page@example.vn");
  await page.click("#notify-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#notify-list li[data-subscription]").length >= 2);
  await page.click("#notify-list li[data-subscription] button");
  await page.waitForFunction(() => document.querySelectorAll("#notify-list li[data-subscription]").length === 1);
  result.after = await page.$$eval("#notify-list li", (lis) => lis.map((li) => li.textContent));
  await page.locator("#notify-panel").screenshot({path: shot});
  await page.screenshot({path: shot.replace(/\.png$/, "-page.png")});
  result.ok = true;
} catch (e) {
  result.errors.push(String(e));
} finally {
  await browser.close();
  process.stdout.write("RESULT " + JSON.stringify(result) + "\n");
}
