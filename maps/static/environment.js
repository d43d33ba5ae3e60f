/* /maps/environment: stations by VN_AQI / VN_WQI category (colour AND name), station state,
 * time series with the QCVN limit, the AQI surface toggle, alerts and a time slider. */
(function () {
  "use strict";
  var Ioc = window.Ioc;
  var HOUR = 3600 * 1000;
  // The page's layers come from its config (the page registry): the monitoring layer (station
  // markers), the exceedances layer (the alert list; its legend is the station states) and
  // overlays drawn from their tiles.
  var state = {map: null, markers: new Map(), features: [], selected: null, range: "24h",
               offset: 0, chart: null, stateLegend: null, stationLegend: null,
               monitoring: null, exceedances: null, legends: {}, pointLimits: {}};

  function $(id) { return document.getElementById(id); }
  /** Station kinds of facility points (issue 11): judged by their own limits, no index. */
  var POINT_KINDS = ["wastewater", "stack"];

  function categoryName(p) { return Ioc.categoryName(p, state.stationLegend); }
  function stateName(s) { return Ioc.stateName(s, state.stateLegend); }
  var textColour = Ioc.textColour, safeColour = Ioc.safeColour;

  function pinHtml(p) {
    var value = p.index_value === null || p.index_value === undefined ? "–" : Number(p.index_value);
    // Only trusted values (number, colour) go into HTML; names are set as text afterwards.
    return '<span class="station-pin state-' + String(p.state || "unknown").replace(/\W/g, "") + '">' +
      '<span class="dot" style="background:' + safeColour(p.color) + ";color:" +
      textColour(p.color) + '">' + value + "</span>" +
      '<span class="tag"></span></span>';
  }

  /** Add or update the marker of one station in place (no marker is recreated). */
  function upsertMarker(f) {
    var p = f.properties, code = p.code;
    var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
    var marker = state.markers.get(code);
    if (!marker) {
      marker = L.marker(ll, {icon: L.divIcon({className: "station-marker", html: pinHtml(p),
        iconSize: null}), keyboard: true, title: p.name});
      marker.on("click", function () { openStation(code); });
      marker.addTo(state.stationLayer);
      state.markers.set(code, marker);
    } else {
      marker.setLatLng(ll);
      marker.setIcon(L.divIcon({className: "station-marker", html: pinHtml(p), iconSize: null}));
    }
    var el = marker.getElement();
    if (el) {
      var tag = el.querySelector(".tag");
      var st = p.state && p.state !== "working" ? " · " + stateName(p.state) : "";
      // Zoomed out, stations crowd: the category name (and state) stays, the name waits.
      var named = state.map.getZoom() >= 9;
      tag.textContent = (named ? p.name + " — " : "") + categoryName(p) + st;
      el.setAttribute("data-station", code);
      el.setAttribute("data-category", p.category || "");
    }
    scheduleDeclutter();
  }

  /* ---- crowded pins ---------------------------------------------------------------------- */

  var declutterPending = false;

  /** Once the markers of this frame are drawn: declutter them (markers change one by one). */
  function scheduleDeclutter() {
    if (declutterPending) return;
    declutterPending = true;
    window.requestAnimationFrame(function () { declutterPending = false; declutter(); });
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /** Stations close together: a tag that would cover another pin's dot or tag moves down below
   * it. Every pin keeps its category name readable (colour never alone) and its dot stays on
   * the station; tags are placed top to bottom, so a crowd's tags form a column. */
  function declutter() {
    var pins = [];
    state.markers.forEach(function (marker) {
      var el = marker.getElement();
      var tag = el && el.querySelector(".tag");
      if (!tag) return;
      tag.style.transform = "";
      pins.push({tag: tag, dot: el.querySelector(".dot")});
    });
    var taken = pins.map(function (pin) { return pin.dot.getBoundingClientRect(); });
    pins.map(function (pin) { return {pin: pin, r: pin.tag.getBoundingClientRect()}; })
      .sort(function (a, b) { return a.r.top - b.r.top || a.r.left - b.r.left; })
      .forEach(function (e) {
        var r = e.r, shift = 0, moved = true;
        var at = function () { return {left: r.left, right: r.right, top: r.top + shift, bottom: r.bottom + shift}; };
        for (var round = 0; moved && round < 100; round++) {
          moved = false;
          taken.forEach(function (t) {
            if (overlaps(at(), t)) { shift = t.bottom - r.top + 2; moved = true; }
          });
        }
        e.pin.tag.style.transform = shift ? "translateY(" + shift + "px)" : "";
        // A moved tag keeps a leader line up to its pin's row (ioc.css: .tag.moved::before).
        e.pin.tag.classList.toggle("moved", shift > 0);
        e.pin.tag.style.setProperty("--lead", shift + "px");
        taken.push(at());
      });
  }

  function loadStations() {
    return Ioc.getJSON(Ioc.url("items", {layer: state.monitoring}, {limit: 1000})).then(function (fc) {
      state.features = fc.features || [];
      state.features.forEach(upsertMarker);
      if (state.selected) renderStationHead(state.selected);
      return state.features;
    });
  }

  function feature(code) {
    return state.features.find(function (f) { return f.properties.code === code; });
  }

  /* ---- time series ---------------------------------------------------------------------- */

  function limitFor(kind, param, interval) {
    var point = POINT_KINDS.indexOf(kind) >= 0 ? state.pointLimits[state.selected] : null;
    if (point) {  // a facility point: its own hourly limit (permit, or C × coefficients)
      var own = (point.limits || {})[param];
      return own && own.max !== null && own.max !== undefined ? {value: own.max, period: "1h"} : null;
    }
    var byKind = (Ioc.config.limits || {})[kind] || {};
    var periods = byKind[param] || {};
    var order = interval === "day" ? ["24h", "1h", "8h"] : ["1h", "24h", "8h"];
    for (var i = 0; i < order.length; i++) {
      if (periods[order[i]] !== undefined && periods[order[i]] !== null) {
        return {value: periods[order[i]], period: order[i]};
      }
    }
    return null;
  }

  function propertiesOf(kind) {
    return (Ioc.config.properties || []).filter(function (p) { return p.kind === kind; });
  }

  function renderStationHead(code) {
    var f = feature(code);
    if (!f) return;
    var p = f.properties;
    $("station-title").textContent = p.name + " (" + p.code + ")";
    var body = $("station-body");
    body.textContent = "";
    if (POINT_KINDS.indexOf(p.kind) >= 0) {
      // A facility's outlet or stack: no index; its facility and regulation instead.
      var about = Ioc.el("p", {"id": "point-facility"}, "…");
      body.appendChild(about);
      Ioc.getJSON(Ioc.url("point_limits", {code: code})).then(function (pl) {
        state.pointLimits[code] = pl;
        about.textContent = pl.facility.name + " · " + pl.regulation + " " + pl["class"];
        if (state.selected === code) drawSeries();
      }).catch(function () { about.textContent = "–"; });
    } else {
      var badge = Ioc.el("span", {"class": "badge"}, (p.kind === "water" ? "WQI " : "AQI ") +
        (p.index_value === null || p.index_value === undefined ? "–" : p.index_value) + " · " + categoryName(p));
      badge.style.background = p.color || "#eee";
      badge.style.color = textColour(p.color);
      body.appendChild(badge);
    }
    var dl = Ioc.el("dl");
    dl.appendChild(Ioc.el("dt", {}, Ioc.t("state"))); dl.appendChild(Ioc.el("dd", {}, stateName(p.state) || "–"));
    dl.appendChild(Ioc.el("dt", {}, Ioc.t("dominant"))); dl.appendChild(Ioc.el("dd", {}, p.dominant || "–"));
    dl.appendChild(Ioc.el("dt", {}, Ioc.t("updated"))); dl.appendChild(Ioc.el("dd", {}, Ioc.fmtTime(p.observed_at)));
    body.appendChild(dl);
    // Readings received / expected over the last 7 local days (GET /stations/{code}/completeness).
    var share = Ioc.el("dd", {"id": "station-completeness"}, "…");
    dl.appendChild(Ioc.el("dt", {}, Ioc.t("completeness_7d"))); dl.appendChild(share);
    Ioc.getJSON(Ioc.url("completeness", {code: code})).then(function (c) {
      share.textContent = c.ratio === null ? "–" :
        (100 * c.ratio).toFixed(1) + " % (" + c.received + "/" + c.expected + ")";
    }).catch(function () { share.textContent = "–"; });
  }

  function openStation(code) {
    state.selected = code;
    var f = feature(code);
    if (!f) return;
    renderStationHead(code);
    var select = $("param-select");
    select.textContent = "";
    propertiesOf(f.properties.kind).forEach(function (prop) {
      select.appendChild(Ioc.el("option", {value: prop.code}, prop.name + " (" + prop.unit + ")"));
    });
    if (f.properties.dominant) select.value = f.properties.dominant;
    $("station-card").hidden = false;
    drawSeries();
  }

  function drawSeries() {
    var code = state.selected, f = feature(code);
    if (!f) return;
    var param = $("param-select").value;
    var hours = {"24h": 24, "7d": 168, "30d": 720}[state.range];
    var interval = state.range === "30d" ? "day" : "hour";
    var end = new Date(Date.now() + state.offset * HOUR);
    var start = new Date(end.getTime() - hours * HOUR);
    var note = $("chart-note");
    note.textContent = Ioc.t("loading");
    Ioc.getJSON(Ioc.url("observations", {code: code}, {parameter: param, from: start.toISOString(),
      to: end.toISOString(), interval: interval})).then(function (res) {
      var rows = Array.isArray(res) ? res : (res.values || res.observations || []);
      var xs = [], ys = [];
      rows.forEach(function (r) {
        var t = r.time || r.phenomenon_time || r.hour || r.t;
        var v = r.value !== undefined ? r.value : (r.mean !== undefined ? r.mean : r.avg);
        if (t !== undefined && v !== undefined && v !== null) { xs.push(new Date(t).getTime() / 1000); ys.push(v); }
      });
      var lim = limitFor(f.properties.kind, param, interval);
      var limitLine = xs.map(function () { return lim ? lim.value : null; });
      note.textContent = lim ? Ioc.t("limit") + " (" + lim.period + "): " + Ioc.fmtNumber(lim.value, 3)
        : (xs.length ? "" : Ioc.t("no_data"));
      if (!xs.length) note.textContent = Ioc.t("no_data");
      plot(xs, ys, limitLine, param, lim);
    }).catch(function () { note.textContent = Ioc.t("error_load"); });
  }

  /** Time axis labels in Việt Nam's time zone and the page's language. */
  function axisTime(u, splits) {
    var daily = state.range !== "24h";
    return splits.map(function (t) {
      var d = new Date(t * 1000);
      var opts = daily ? {day: "2-digit", month: "2-digit"} : {hour: "2-digit", minute: "2-digit", hour12: false};
      opts.timeZone = "Asia/Ho_Chi_Minh";
      return d.toLocaleString(Ioc.lang === "vi" ? "vi-VN" : "en-GB", opts);
    });
  }

  function plot(xs, ys, limitLine, param, lim) {
    var box = $("chart");
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    box.textContent = "";
    if (!xs.length || typeof uPlot === "undefined") return;
    var width = Math.max(300, box.clientWidth || 340);
    state.chart = new uPlot({
      width: width, height: 220,
      scales: {x: {time: true}},
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Asia/Ho_Chi_Minh"); },
      series: [{label: Ioc.t("time"), value: function (u, t) { return t ? Ioc.fmtTime(new Date(t * 1000)) : "–"; }},
        {label: $("param-select").selectedOptions[0] ? $("param-select").selectedOptions[0].text : param,
         stroke: "#12698a", width: 2, fill: "rgba(18,105,138,0.08)"},
        {label: Ioc.t("limit"), stroke: "#c62828", width: 2, dash: [8, 5], show: !!lim}],
      axes: [{values: axisTime}, {size: 56}]
    }, [xs, ys, limitLine], box);
  }

  /* ---- alerts, time slider, legend -------------------------------------------------------- */

  function loadAlerts() {
    var end = new Date(Date.now() + state.offset * HOUR);
    return Ioc.recentAlerts(end, 24, 30).then(function (items) {
      var list = $("alert-list");
      list.textContent = "";
      if (!items.length) list.appendChild(Ioc.el("li", {"class": "hint"}, Ioc.t("no_alerts")));
      items.forEach(function (a) {
        var p = a.properties;
        var li = Ioc.el("li", {"data-station": p.station_code});
        var st = feature(p.station_code);
        var kind = st ? st.properties.kind : "air";
        var prop = propertiesOf(kind).find(function (x) { return x.code === p.parameter; });
        li.appendChild(Ioc.el("b", {}, (st ? st.properties.name : p.station_code) + " · " +
          (prop ? prop.name : p.parameter) + " (" + p.period + ")"));
        li.appendChild(Ioc.el("div", {}, Ioc.fmtNumber(p.value, 1) + " > " + Ioc.fmtNumber(p.limit_value, 1)
          + " · " + Ioc.fmtTime(p.started_at) + (p.ended_at ? " → " + Ioc.fmtTime(p.ended_at) : "")));
        li.addEventListener("click", function () { openStation(p.station_code); });
        list.appendChild(li);
      });
    }).catch(function () {});
  }

  function pastValues() {
    var at = new Date(Date.now() + state.offset * HOUR);
    at.setMinutes(0, 0, 0);
    var to = new Date(at.getTime() + HOUR);
    state.features.forEach(function (f) {
      var p = f.properties;
      if (p.kind === "water") return;
      Ioc.getJSON(Ioc.url("station_aqi", {code: p.code}, {from: at.toISOString(), to: to.toISOString()}))
        .then(function (res) {
          var rows = Array.isArray(res) ? res : (res.values || []);
          var r = rows[rows.length - 1] || {};
          upsertMarker({geometry: f.geometry, properties: Object.assign({}, p, {
            index_value: r.aqi !== undefined ? r.aqi : null, category: r.category || null,
            category_vi: r.category_vi || null, color: r.color || "#9e9e9e", state: p.state})});
        }).catch(function () {});
    });
  }

  function onSlider() {
    state.offset = Number($("time-slider").value);
    var label = $("time-label");
    if (state.offset === 0) {
      label.textContent = Ioc.t("now");
      loadStations();
    } else {
      label.textContent = Ioc.fmtTime(new Date(Date.now() + state.offset * HOUR));
      pastValues();
    }
    loadAlerts();
    if (state.selected) drawSeries();
  }

  function renderLegend() {
    var box = $("legend-body");
    box.textContent = "";
    Ioc.pageLayers().forEach(function (e) {
      var lg = state.legends[e.id];
      if (lg) Ioc.renderLegend(box, lg, null, Ioc.legendHeading(e));
    });
  }

  function start(map, config) {
    state.map = map;
    Ioc.init(config);
    Ioc.baseMap(map);
    Ioc.authBox(document.getElementById("auth-box"));
    state.monitoring = Ioc.layerFor("monitoring");
    state.exceedances = Ioc.layerFor("exceedances");
    state.stationLayer = L.layerGroup().addTo(map);
    var control = Ioc.layerControl(map);
    control.add(state.stationLayer, Ioc.pageLayer(state.monitoring));
    Ioc.pageLayers().forEach(function (entry) {
      if (entry.use) return;  // the stations and alerts are drawn from their features
      Ioc.overlay(entry).then(function (layer) {
        if (entry.shown) layer.addTo(map);
        control.add(layer, entry);
      }).catch(function (e) { console.warn("layer", entry.id, e.message); });
    });
    var legendLayers = Ioc.pageLayers().filter(function (e) { return e.legend !== "none"; });
    Promise.all(legendLayers.map(function (e) { return Ioc.legend(e.id); })).then(function (res) {
      legendLayers.forEach(function (e, i) { state.legends[e.id] = res[i]; });
      state.stationLegend = state.legends[state.monitoring];
      state.stateLegend = state.legends[state.exceedances];
      renderLegend();
      return loadStations();
    }).then(function (features) {
      loadAlerts();
      if (features.length) {
        map.fitBounds(L.latLngBounds(features.map(function (f) {
          return [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        })).pad(0.3), {maxZoom: 12});
      }
    }).catch(function (e) { console.warn("station features", e.message); });
    map.on("zoomend", function () { state.features.forEach(upsertMarker); });
    $("time-slider").addEventListener("change", onSlider);
    $("time-slider").addEventListener("input", function () {
      var off = Number($("time-slider").value);
      $("time-label").textContent = off === 0 ? Ioc.t("now") : Ioc.fmtTime(new Date(Date.now() + off * HOUR));
    });
    $("param-select").addEventListener("change", drawSeries);
    document.querySelectorAll(".range-buttons button").forEach(function (b) {
      b.addEventListener("click", function () {
        document.querySelectorAll(".range-buttons button").forEach(function (x) { x.classList.remove("active"); });
        b.classList.add("active");
        state.range = b.dataset.range;
        drawSeries();
      });
    });
    $("station-close").addEventListener("click", function () { $("station-card").hidden = true; state.selected = null; });
    Ioc.onLang(function () { renderLegend(); state.features.forEach(upsertMarker); loadAlerts(); });
    Ioc.events({stations: function () { if (state.offset === 0) loadStations(); },
                alerts: function () { loadAlerts(); }});
    window.IocEnvironment = state;
  }

  window.IocPage = {start: start};
})();
