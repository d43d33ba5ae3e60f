/* /wall: the IOC video wall. Views rotate every N seconds; the legend, key figures and clock
 * are always visible; live events update the page in place. It runs for days: every layer and
 * DOM node is created once and reused, every list is capped, refreshes are coalesced. */
(function () {
  "use strict";
  var Ioc = window.Ioc;
  var MAX_ALERTS = 5, MAX_STATIONS = 12, REFRESH_MIN_MS = 1000;
  var S = {map: null, view: 0, layers: {}, markers: new Map(), rows: new Map(), alertRows: [],
           features: [], legends: {}, seen: {}, pending: {}, bounds: {}, rings: new Map(),
           monitoring: null, exceedances: null};

  function $(id) { return document.getElementById(id); }

  var textColour = Ioc.textColour, safeColour = Ioc.safeColour;

  /** Run `fn` at most once per REFRESH_MIN_MS however many events ask for it. */
  function coalesce(name, fn) {
    if (S.pending[name]) return;
    S.pending[name] = setTimeout(function () { S.pending[name] = null; fn(); }, REFRESH_MIN_MS / 4);
  }

  /* ---- stations: markers, list and figures, updated in place ---------------------------- */

  function marker(f) {
    var p = f.properties, m = S.markers.get(p.code);
    var value = p.index_value === null || p.index_value === undefined ? "–" : Number(p.index_value);
    var html = '<span class="wall-pin state-' + String(p.state || "").replace(/\W/g, "") +
      '" style="background:' + safeColour(p.color) + ";color:" + textColour(p.color) + '">' + value + "</span>";
    var icon = L.divIcon({className: "station-marker", html: html, iconSize: null});
    var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
    if (!m) {
      m = L.marker(ll, {icon: icon, keyboard: false, interactive: false});
      m.addTo(S.layers[S.monitoring]);
      S.markers.set(p.code, m);
      m._iocHtml = html;
    } else if (m._iocHtml !== html) {
      m.setIcon(icon);
      m._iocHtml = html;
    }
  }

  /** Whether a station lies in the wall's province (every station when none is set). */
  function inProvince(f) {
    return !S.communes || S.communes.has(f.properties.commune_code);
  }

  function loadStations() {
    return Ioc.getJSON(Ioc.url("items", {layer: S.monitoring}, {limit: 1000})).then(function (fc) {
      var all = fc.features || [];
      all.forEach(marker);
      S.features = all.filter(inProvince);
      // Worst first, so the list shows what needs attention within its fixed length.
      var sorted = S.features.slice().sort(function (a, b) {
        return (b.properties.index_value || 0) - (a.properties.index_value || 0);
      }).slice(0, MAX_STATIONS);
      sorted.forEach(function (f) { P.stationRow(f.properties); });
      var list = $("station-list");
      sorted.forEach(function (f) { list.appendChild(S.rows.get(f.properties.code)); });
      S.rows.forEach(function (li, code) {
        if (!sorted.some(function (f) { return f.properties.code === code; })) {
          li.remove(); S.rows.delete(code);
        }
      });
      P.figures(S.features);
      if (S.features.length && !S.bounds.stations) {
        S.bounds.stations = L.latLngBounds(S.features.map(function (f) {
          return [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        })).pad(0.25);
        if (!S.bounds.province && VIEWS[S.view].frame !== "data") {
          S.map.fitBounds(S.bounds.stations, {maxZoom: 12});
        }
      }
    });
  }

  /* ---- alerts (a fixed number of reused rows) ------------------------------------------- */

  function loadAlerts() {
    return Ioc.recentAlerts(new Date(), 24, 200)
      .then(function (all) {
        var codes = new Set(S.features.map(function (f) { return f.properties.code; }));
        var mine = all.filter(function (a) {
          return !S.communes || codes.has(a.properties.station_code);
        });
        alertRings(mine);
        var items = mine.slice(0, MAX_ALERTS);
        var list = $("alert-list");
        while (S.alertRows.length < MAX_ALERTS) {
          var li = Ioc.el("li"); li.hidden = true; list.appendChild(li); S.alertRows.push(li);
        }
        S.alertRows.forEach(function (li, i) {
          var a = items[i];
          li.hidden = !a;
          li.className = "";
          if (a) {
            var p = a.properties;
            li.textContent = p.station_code + " · " + p.parameter + " " + Ioc.fmtNumber(p.value, 1) +
              " > " + Ioc.fmtNumber(p.limit_value, 1) + " (" + p.period + ") · " + Ioc.fmtTime(p.started_at, false);
          }
        });
        if (!items.length) {
          S.alertRows[0].hidden = false; S.alertRows[0].className = "empty";
          S.alertRows[0].textContent = Ioc.t("no_alerts");
        }
      }).catch(function () {});
  }

  /** One ring per station with an alert in the last 24 h (rings reused, never recreated). */
  function alertRings(alerts) {
    var active = new Set();
    alerts.forEach(function (a) {
      var code = a.properties.station_code;
      if (active.has(code) || !a.geometry) return;
      active.add(code);
      var ll = [a.geometry.coordinates[1], a.geometry.coordinates[0]];
      var ring = S.rings.get(code);
      if (!ring) {
        ring = L.circleMarker(ll, {radius: 28, color: "#c62828", weight: 5, fill: false,
                                   interactive: false});
        S.rings.set(code, ring);
      }
      ring.setLatLng(ll);
      if (!S.layers[S.exceedances].hasLayer(ring)) S.layers[S.exceedances].addLayer(ring);
    });
    S.rings.forEach(function (ring, code) {
      if (!active.has(code)) S.layers[S.exceedances].removeLayer(ring);
    });
  }

  /* ---- views and legend ----------------------------------------------------------------- */

  // The views (name, title, layers, legends, frame) come from the page registry.
  var VIEWS = [];

  function renderLegend() {
    var view = VIEWS[S.view], box = $("legend-body");
    box.textContent = "";
    view.legends.forEach(function (id) {
      var lg = S.legends[id], entry = Ioc.pageLayer(id);
      if (!lg) return;
      // "drawn": only the values drawn so far.
      var seen = S.seen[id];
      var only = entry.legend === "drawn" && seen && seen.size ? seen : null;
      Ioc.renderLegend(box, lg, only, Ioc.legendHeading(entry));
    });
  }

  function showView(i) {
    S.view = i % VIEWS.length;
    var view = VIEWS[S.view];
    Object.keys(S.layers).forEach(function (name) {
      var want = view.layers.indexOf(name) !== -1, layer = S.layers[name];
      if (!layer) return;
      if (want && !S.map.hasLayer(layer)) layer.addTo(S.map);
      if (!want && S.map.hasLayer(layer)) S.map.removeLayer(layer);
    });
    if (view.frame === "data") {
      // Parcels are drawn from zoom 14: the view goes close to where the parcels are.
      // No fly animation: it would fetch every zoom level on the way (a wall PC is modest).
      if (S.parcelCentre) S.map.setView(S.parcelCentre, 16, {animate: false});
    } else {
      var target = S.bounds.province || S.bounds.stations;
      if (target) S.map.fitBounds(target, {maxZoom: 12, animate: false});
    }
    $("view-name").textContent = Ioc.t(view.title);
    $("view-name").setAttribute("data-view", view.name);
    document.body.setAttribute("data-view", view.name);
    renderLegend();
  }

  function loadLayers() {
    Ioc.pageLayers().forEach(function (entry) {
      if (entry.use === "monitoring" || entry.use === "exceedances") {
        // Stations are markers from their features; alerts are few: rings on their stations
        // from the alert list, not tiles.
        S.layers[entry.id] = L.layerGroup();
        return;
      }
      S.seen[entry.id] = new Set();
      Ioc.overlay(entry, S.seen[entry.id]).then(function (l) {
        S.layers[entry.id] = l;
        l.on("load", function () {
          if (VIEWS[S.view].legends.indexOf(entry.id) !== -1) renderLegend();
        });
        showView(S.view);
      }).catch(function (e) { console.warn("layer", entry.id, e.message); });
    });
    var province = Ioc.config.province;
    var inside = province ? "commune_code IN ('" + province.communes.join("','") + "')" : null;
    Ioc.featureBounds(Ioc.layerFor("cadastre"), inside).then(function (b) {
      if (b) { S.parcelCentre = b.getCenter(); if (VIEWS[S.view].frame === "data") showView(S.view); }
    }).catch(function () {});
    if (province) {
      Ioc.featureBounds(Ioc.layerFor("land"), "code='" + province.code + "'").then(function (b) {
        if (!b) return;
        S.bounds.province = b;
        if (VIEWS[S.view].frame !== "data") S.map.fitBounds(b);
      }).catch(function () {});
    }
    Ioc.pageLayers().filter(function (e) { return e.legend !== "none"; }).forEach(function (entry) {
      var name = entry.id;
      Ioc.legend(name).then(function (lg) {
        S.legends[name] = lg;
        renderLegend();
        S.features.forEach(function (f) { if (S.rows.has(f.properties.code)) P.stationRow(f.properties); });
        P.figures(S.features);
      }).catch(function () {});
    });
  }

  var P = null;  // the side panel (wall-panel.js)

  function start(map, config) {
    S.map = map;
    P = window.IocWallPanel(S);
    Ioc.init(config);
    VIEWS = config.views || [];
    S.monitoring = Ioc.layerFor("monitoring");
    S.exceedances = Ioc.layerFor("exceedances");
    if (config.province) {
      S.communes = new Set(config.province.communes);
      var title = Ioc.pick({vi: config.province.name, en: config.province.name_en || config.province.name});
      $("view-name").setAttribute("data-province", config.province.code);
      document.title = document.title + " — " + title;
      var showProvince = function () {
        $("province-name").textContent = Ioc.pick({vi: config.province.name,
          en: config.province.name_en || config.province.name});
      };
      showProvince();
      Ioc.onLang(showProvince);
    }
    Ioc.baseMap(map);
    loadLayers();
    showView(0);
    P.tickClock();
    setInterval(P.tickClock, 1000);
    // The operator may hold a view (key "p" toggles; S.paused for diagnostics and the soak test).
    setInterval(function () { if (!S.paused) showView(S.view + 1); }, (config.rotate_seconds || 30) * 1000);
    document.addEventListener("keydown", function (e) { if (e.key === "p") S.paused = !S.paused; });
    loadStations().catch(function (e) { console.warn("station features", e.message); });
    loadAlerts();
    P.loadLandUse();
    // Safety net: a full refresh every 5 minutes even if an event was missed.
    setInterval(function () { loadStations().catch(function () {}); loadAlerts(); P.loadLandUse(); }, 300000);
    Ioc.events({
      stations: function () { coalesce("markers", function () { loadStations().catch(function () {}); }); },
      alerts: function () { coalesce("alert-list", loadAlerts); },
      parcels: function () { coalesce("landuse", P.loadLandUse); }
    }, P.setLive);
    Ioc.onLang(function () {
      P.tickClock(); showView(S.view); loadStations().catch(function () {}); loadAlerts(); P.loadLandUse();
    });
    // For diagnostics and the soak test: one full refresh and one view change, on demand.
    S.refresh = function () {
      return Promise.all([loadStations().catch(function () {}), loadAlerts(), P.loadLandUse()]);
    };
    S.nextView = function () { showView(S.view + 1); };
    window.IocWall = S;
  }

  window.IocPage = {start: start};
})();
