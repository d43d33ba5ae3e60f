// Browser checks of the ioc-gis pages in Debian's Chromium, driven by playwright-core.
//
//   node tests/browser/run.mjs <scenario> <base-url> <artifact-dir> [json-args]
//
// Scenarios: parcels, environment, wall-live, screenshots. Each prints progress lines
// ("READY ..." when it waits for the caller) and ends with one line "RESULT <json>":
// {ok, errors: [...console errors and page errors], external: [...requests that tried to leave
// localhost], checks: {...}, screenshots: [...]}. Any request to a host other than localhost
// is aborted and reported: the pages must work on a closed network.
import {chromium} from "playwright-core";
import {mkdirSync} from "node:fs";
import {join} from "node:path";
import {createInterface} from "node:readline";

const [scenario, base, artifacts, rawArgs] = process.argv.slice(2);
const args = rawArgs ? JSON.parse(rawArgs) : {};
const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);
const result = {ok: false, scenario, errors: [], external: [], checks: {}, screenshots: []};
mkdirSync(artifacts, {recursive: true});

function say(line) { process.stdout.write(line + "\n"); }

async function openBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-dev-shm-usage", "--js-flags=--expose-gc", "--enable-precise-memory-info"],
  });
}

async function newPage(browser, viewport) {
  const context = await browser.newContext({viewport, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh"});
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || LOCAL.has(url.hostname)) {
      return route.continue();
    }
    result.external.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") result.errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => result.errors.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => {
    const url = new URL(req.url());
    // EventSource connections are closed by the browser when the page goes away, and Leaflet
    // cancels (ERR_ABORTED) the tiles it no longer needs while the map moves.
    const cancelled = req.failure()?.errorText === "net::ERR_ABORTED";
    if (LOCAL.has(url.hostname) && !url.pathname.startsWith("/events") && !cancelled) {
      result.errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
    }
  });
  page.on("response", (res) => {
    if (res.status() >= 400) result.errors.push(`http ${res.status()}: ${res.url()}`);
  });
  return page;
}

async function shot(page, name) {
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({path});
  result.screenshots.push(path);
}

/** Wait until the map has drawn its vector tiles (canvas tiles present) and the legend. */
async function settle(page) {
  await page.waitForFunction(() => document.querySelectorAll(".leaflet-tile").length > 0,
    null, {timeout: 15000});
  await page.waitForFunction(() => document.querySelectorAll("#legend-body li").length > 0,
    null, {timeout: 15000});
  await page.waitForLoadState("networkidle", {timeout: 15000}).catch(() => {});
}

const scenarios = {
  async parcels(browser) {
    const page = await newPage(browser, {width: 1920, height: 1080});
    await page.goto(`${base}/maps/parcels`);
    await settle(page);
    const c = result.checks;
    c.lang = await page.getAttribute("html", "lang");
    c.title = await page.textContent("h1");
    c.legend_rows = await page.locator("#legend-body li").count();
    c.overlays = await page.locator(".leaflet-control-layers-overlays label").allTextContents();
    c.vendor_font = await page.evaluate(() => document.fonts.check("16px 'Be Vietnam Pro'", "Thửa đất"));
    // Click the parcel the caller named, at its point on the map.
    if (args.click) {
      await page.evaluate(([lat, lon]) => window.IocParcels.map.setView([lat, lon], 18, {animate: false}),
        [args.click.lat, args.click.lon]);
      await settle(page);
      const pt = await page.evaluate(([lat, lon]) => {
        const m = window.IocParcels.map, p = m.latLngToContainerPoint([lat, lon]);
        const r = m.getContainer().getBoundingClientRect();
        return {x: r.left + p.x, y: r.top + p.y};
      }, [args.click.lat, args.click.lon]);
      await page.mouse.click(pt.x, pt.y);
      await page.waitForSelector("#parcel-card:not([hidden]) .card-title", {timeout: 10000});
      await page.waitForLoadState("networkidle", {timeout: 10000}).catch(() => {});
      c.card = await page.textContent("#parcel-card");
      c.highlighted = await page.evaluate(() => !!window.IocParcels.highlight);
      await page.click("#add-selection");
      c.selection = await page.textContent("#selection-count");
      const download = page.waitForEvent("download", {timeout: 10000});
      await page.click('.export [data-format="gpkg"]');
      const file = await download;
      c.download = file.suggestedFilename();
      await file.saveAs(join(artifacts, c.download));
      c.download_path = join(artifacts, c.download);
      await shot(page, "parcels-1920x1080-card");
      await page.click("#lang-switch");
      await page.waitForFunction(() => /Parcel number/.test(document.getElementById("parcel-card").textContent),
        null, {timeout: 5000});
      c.title_en = await page.textContent("h1");
      c.card_en = await page.textContent("#parcel-card");
      c.overlays_en = await page.locator(".leaflet-control-layers-overlays label").allTextContents();
      await shot(page, "parcels-1920x1080-en");
    }
    // Search by commune, sheet and number.
    if (args.search) {
      // The commune by name, typed in lower case: the page finds its code.
      await page.fill("#f-commune", args.search.commune_name || args.search.commune);
      await page.fill("#f-sheet", String(args.search.sheet));
      await page.fill("#f-number", String(args.search.number));
      await page.click("#search-form button[type=submit]");
      await page.waitForFunction((n) => new RegExp("(Thửa đất số|Parcel number) " + n + " ").test(
        document.querySelector("#parcel-card .card-title")?.textContent || ""), args.search.number,
        {timeout: 10000});
      c.search_card = await page.textContent("#parcel-card .card-title");
      c.search_commune = await page.inputValue("#f-commune");
      c.search_centre = await page.evaluate(() => {
        const m = window.IocParcels.map.getCenter(); return [m.lat, m.lng, window.IocParcels.map.getZoom()];
      });
    }
  },

  async environment(browser) {
    const page = await newPage(browser, {width: 1920, height: 1080});
    await page.goto(`${base}/maps/environment`);
    await page.waitForSelector(".station-pin", {timeout: 15000});
    await settle(page);
    const c = result.checks;
    c.pins = await page.locator(".station-marker").count();
    c.pin_labels = await page.locator(".station-pin .tag").allTextContents();
    c.legend = await page.textContent("#legend-body");
    c.overlays = await page.locator(".leaflet-control-layers-overlays label").allTextContents();
    // Crowded stations: no pin's tag may cover another pin's dot or tag.
    c.tag_overlaps = await page.evaluate(() => {
      const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      const pins = [...document.querySelectorAll(".station-pin")].map((p) => ({
        code: p.closest(".station-marker").getAttribute("data-station"),
        dot: p.querySelector(".dot").getBoundingClientRect(),
        tag: p.querySelector(".tag").getBoundingClientRect()}));
      const found = [];
      pins.forEach((a, i) => pins.forEach((b, j) => {
        if (i !== j && (hit(a.tag, b.dot) || (i < j && hit(a.tag, b.tag)))) found.push(`${a.code}/${b.code}`);
      }));
      return found;
    });
    await shot(page, "environment-stations-1920x1080");
    if (args.lon !== undefined) {
      // Close enough that neighbouring stations' pins no longer overlap the one clicked.
      await page.evaluate(([lat, lon]) => {
        Object.values(window).find((v) => v instanceof L.Map).setView([lat, lon], 16, {animate: false});
      }, [args.lat, args.lon]);
      await page.waitForTimeout(500);
    }
    const pin = args.station ? `.station-marker[data-station="${args.station}"]` : ".station-marker";
    await page.locator(pin).first().click();
    await page.waitForSelector("#station-card:not([hidden])", {timeout: 10000});
    await page.waitForFunction(() => !/…|\.\.\./.test(document.getElementById("chart-note").textContent),
      null, {timeout: 10000});
    c.station_card = await page.textContent("#station-card");
    c.chart_canvas = await page.locator("#chart canvas").count();
    c.chart_note = await page.textContent("#chart-note");
    await shot(page, "environment-1920x1080");
    // The time slider: 24 hours back, the stations show that hour's AQI.
    await page.evaluate(() => {
      const s = document.getElementById("time-slider");
      s.value = "-24"; s.dispatchEvent(new Event("input")); s.dispatchEvent(new Event("change"));
    });
    await page.waitForLoadState("networkidle", {timeout: 10000}).catch(() => {});
    await page.waitForTimeout(500);
    c.time_label = await page.textContent("#time-label");
    c.pin_labels_past = await page.locator(".station-pin .tag").allTextContents();
  },

  /** Wall at wall sizes; then READY, the caller publishes a reading, the row must change. */
  async "wall-live"(browser) {
    const c = result.checks;
    for (const [w, h] of [[3840, 2160], [1920, 1080]]) {
      const page = await newPage(browser, {width: w, height: h});
      await page.goto(`${base}/wall?rotate=${args.rotate || 30}`);
      await page.waitForSelector("#station-list li", {timeout: 15000});
      await settle(page);
      c[`font_px_${h}`] = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      c[`aqi_${h}`] = await page.textContent("#fig-aqi");
      await shot(page, `wall-${w}x${h}`);
      if (h === 2160) { await page.close(); continue; }
      c.legend = await page.textContent("#legend-body");
      const panelNodes = () => page.evaluate(() => document.querySelectorAll(".wall-panel *").length);
      c.panel_nodes_before = await panelNodes();
      c.view_first = await page.getAttribute("body", "data-view");
      await page.waitForFunction((v) => document.body.getAttribute("data-view") !== v,
        c.view_first, {timeout: (args.rotate || 30) * 1000 + 3000});
      c.view_next = await page.getAttribute("body", "data-view");
      const clock1 = await page.textContent("#clock");
      await page.waitForTimeout(1100);
      c.clock_ticks = clock1 !== (await page.textContent("#clock"));
      const code = args.station;
      const before = await page.getAttribute(`#station-list li[data-station="${code}"]`, "data-observed");
      await page.evaluate(() => { window.__noReload = true; });
      c.observed_before = before;
      // The caller publishes one reading as soon as it reads READY and tells us when it has:
      // the 5 s start now, before the reading is even sent.
      const t0 = Date.now();
      say(`READY ${code}`);
      const rl = createInterface({input: process.stdin});
      await new Promise((resolve) => rl.once("line", resolve));
      rl.close();
      await page.waitForFunction(([sel, old]) => {
        const li = document.querySelector(sel);
        return li && li.getAttribute("data-observed") && li.getAttribute("data-observed") !== old;
      }, [`#station-list li[data-station="${code}"]`, before], {timeout: Math.max(1, 5000 - (Date.now() - t0))});
      c.live_ms = Date.now() - t0;
      c.observed_after = await page.getAttribute(`#station-list li[data-station="${code}"]`, "data-observed");
      c.no_reload = await page.evaluate(() => window.__noReload === true);
      await page.waitForTimeout(1500);
      c.panel_nodes_after = await panelNodes();
      // Soak: many refreshes and view changes must not grow the page (nodes reused, lists capped).
      const measure = () => page.evaluate(() => {
        window.gc();
        // Map tiles are added and pruned by Leaflet on its own timing (and bounded by it): count
        // the page's own nodes, outside the tile pane.
        const all = document.getElementsByTagName("*").length;
        const tiles = document.querySelectorAll(".leaflet-tile-pane *").length;
        // Per pane, so a failure says where the page grew.
        const panes = {};
        for (const el of document.querySelectorAll(".leaflet-pane")) {
          const name = [...el.classList].find((k) => k.endsWith("-pane") && k !== "leaflet-pane") || "pane";
          panes[name] = el.querySelectorAll("*").length;
        }
        panes.outside_map = all - document.querySelectorAll(".leaflet-container *").length;
        return {heap: performance.memory.usedJSHeapSize, nodes: all - tiles, panes,
                markers: window.IocWall.markers.size, rows: window.IocWall.rows.size};
      });
      const cycle = async (n) => {
        for (let i = 0; i < n; i++) {
          await page.evaluate((k) => { if (k % 5 === 0) window.IocWall.nextView(); return window.IocWall.refresh(); }, i);
        }
        while (await page.evaluate(() => window.IocWall.view) !== 0) await page.evaluate(() => window.IocWall.nextView());
        await page.waitForTimeout(1500);
      };
      // Warm-up: every view's layers, legends and tiles seen, twice, so that what loads
      // asynchronously after the first round has settled before the baseline is taken. The
      // rotation is held: measured at a timer's whim, view 0 and view 1 differ (~5 nodes, 4 MB).
      await page.evaluate(() => { window.IocWall.paused = true; });
      await cycle(15);
      await cycle(15);
      c.soak_before = await measure();
      await cycle(args.soak || 60);
      c.soak_after = await measure();
      await shot(page, "wall-1920x1080-live");
    }
  },

  async screenshots(browser) {
    const pages = [["parcels", "/maps/parcels"], ["environment", "/maps/environment"], ["wall", "/wall"]]
      .filter(([name]) => !args.only || args.only.includes(name));
    const sizes = args.sizes || [[1920, 1080], [3840, 2160]];
    for (const [name, path] of pages) {
      for (const [w, h] of sizes) {
        const page = await newPage(browser, {width: w, height: h});
        await page.goto(`${base}${path}${args.query || ""}`);
        await settle(page).catch((e) => result.errors.push(`${name}: ${e.message}`));
        await page.waitForTimeout(args.wait || 2500);
        await shot(page, `${name}-${w}x${h}`);
        await page.close();
      }
    }
  },
};

const browser = await openBrowser();
try {
  await scenarios[scenario](browser);
  result.ok = result.errors.length === 0 && result.external.length === 0;
} catch (err) {
  result.errors.push(`scenario: ${err.message.split("\n")[0]}`);
} finally {
  await browser.close();
  say("RESULT " + JSON.stringify(result));
  process.exit(0);
}
