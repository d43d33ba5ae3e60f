/* ioc-gis pages: shared helpers (language, API access, layers from TileJSON, legends, events).
 * Everything a page draws comes from what the API publishes: TileJSON gives tile URLs and zooms,
 * legends and styles give colours and labels. No tile URL or colour is written here. */
(function () {
  "use strict";

  var Ioc = {config: null, lang: "vi", listeners: []};

  /** Tile options for this screen: on a 4K wall, 512 px tiles one zoom up (the same detail
   *  on screen, a quarter of the requests: browsers queue only six per server). */
  Ioc.tileGrid = function () {
    return window.innerWidth * (window.devicePixelRatio || 1) > 2500
      ? {tileSize: 512, zoomOffset: -1} : {tileSize: 256, zoomOffset: 0};
  };

  Ioc.init = function (config) {
    Ioc.config = config;
    Ioc.lang = localStorage.getItem("ioc.lang") || config.lang;
    if (new URLSearchParams(location.search).has("lang")) Ioc.lang = config.lang;
    var button = document.getElementById("lang-switch");
    if (button) button.addEventListener("click", function () {
      Ioc.setLang(Ioc.lang === "vi" ? "en" : "vi");
    });
    Ioc.setLang(Ioc.lang);
  };

  /** Interface text for `key` in the current language. */
  Ioc.t = function (key) {
    var table = Ioc.config.i18n[Ioc.lang] || {};
    return table[key] !== undefined ? table[key] : key;
  };

  /** A {vi, en} pair (or label_vi/label_en fields) in the current language. */
  Ioc.pick = function (obj, base) {
    if (obj === null || obj === undefined) return "";
    if (typeof obj === "string") return obj;
    if (base) {
      var v = obj[base + "_" + Ioc.lang];
      if (v !== undefined && v !== null) return v;
      if (obj[base] !== undefined) return Ioc.pick(obj[base]);
      return obj[base + "_vi"] || "";
    }
    return obj[Ioc.lang] || obj.vi || obj.en || "";
  };

  Ioc.setLang = function (lang) {
    Ioc.lang = lang;
    localStorage.setItem("ioc.lang", lang);
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = Ioc.t(el.getAttribute("data-i18n"));
    });
    Ioc.listeners.forEach(function (fn) { fn(lang); });
  };

  Ioc.onLang = function (fn) { Ioc.listeners.push(fn); };

  /** An API URL from the template named `name`, e.g. url("tilejson", {layer: "parcels"}). */
  Ioc.url = function (name, params, query) {
    var path = Ioc.config.api[name].replace(/\{(\w+)\}/g, function (_, key) {
      return encodeURIComponent(params[key]);
    });
    if (query) {
      var qs = new URLSearchParams();
      Object.keys(query).forEach(function (k) {
        if (query[k] !== undefined && query[k] !== null) qs.append(k, query[k]);
      });
      path += "?" + qs.toString();
    }
    return path;
  };

  /** GET JSON; rejects with an Error whose `status` is the HTTP status. */
  Ioc.getJSON = function (url, options) {
    return fetch(url, Object.assign({headers: {Accept: "application/json"}}, options || {}))
      .then(function (r) {
        if (!r.ok) {
          var err = new Error(url + ": HTTP " + r.status);
          err.status = r.status;
          return r.json().catch(function () { return {}; }).then(function (body) {
            err.detail = body.detail || body.description || "";
            throw err;
          });
        }
        return r.json();
      });
  };

  Ioc.el = function (tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };

  Ioc.fmtNumber = function (value, digits) {
    if (value === null || value === undefined || value === "") return "–";
    var locale = Ioc.lang === "vi" ? "vi-VN" : "en-GB";
    return Number(value).toLocaleString(locale, {maximumFractionDigits: digits || 0});
  };

  /** An area in m² with the one decimal the cadastre records (e.g. "400,0 m²" in Vietnamese). */
  Ioc.fmtArea = function (value) {
    if (value === null || value === undefined || value === "") return "–";
    var locale = Ioc.lang === "vi" ? "vi-VN" : "en-GB";
    return Number(value).toLocaleString(locale, {minimumFractionDigits: 1, maximumFractionDigits: 1}) + " m²";
  };

  Ioc.fmtTime = function (value, withDate) {
    if (!value) return "–";
    var d = value instanceof Date ? value : new Date(value);
    var opts = {hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh", hour12: false};
    if (withDate !== false) { opts.day = "2-digit"; opts.month = "2-digit"; opts.year = "numeric"; }
    return d.toLocaleString(Ioc.lang === "vi" ? "vi-VN" : "en-GB", opts);
  };

  /* ---- legends and styles (published per layer by the API) ---------------------------- */

  /** A legend normalised to {title, property, entries: [{value, label, color}]}. */
  Ioc.normaliseLegend = function (raw) {
    var entries = raw.entries || raw.items || raw.legend || [];
    return {
      title: raw.title || {vi: raw.title_vi, en: raw.title_en},
      property: raw.property || raw.by || null,
      entries: entries.map(function (e) {
        var label = e.label || {vi: e.label_vi, en: e.label_en};
        return {value: e.value === undefined ? null : e.value, label: label, color: e.color,
                code: e.code || e.value};
      })
    };
  };

  var catalogPromise = null;
  /** The layer catalog (/layers): id → {title, kind, minzoom, links{tilejson, legend, ...}}. */
  Ioc.catalog = function () {
    if (!catalogPromise) {
      catalogPromise = Ioc.getJSON(Ioc.url("layers", {})).then(function (doc) {
        var out = {};
        (doc.layers || []).forEach(function (l) { out[l.id] = l; });
        return out;
      });
    }
    return catalogPromise;
  };

  /** The URL the catalog publishes for `layer` under `rel` (tilejson, legend, style, ...). */
  Ioc.link = function (layer, rel) {
    return Ioc.catalog().then(function (cat) {
      var entry = cat[layer];
      if (!entry || !entry.links || !entry.links[rel]) {
        throw new Error("the catalog publishes no " + rel + " for layer " + layer);
      }
      return entry.links[rel];
    });
  };

  var legendCache = {};
  Ioc.legend = function (layer) {
    if (!legendCache[layer]) {
      legendCache[layer] = Ioc.link(layer, "legend").then(Ioc.getJSON).then(Ioc.normaliseLegend);
    }
    return legendCache[layer];
  };

  var styleCache = {};
  /** The layer's Leaflet style ({base, property, colors}) as published by the API. */
  Ioc.style = function (layer) {
    if (!styleCache[layer]) {
      styleCache[layer] = Ioc.link(layer, "style").then(Ioc.getJSON).then(function (s) {
        return (s.metadata && s.metadata.folium) || s;
      });
    }
    return styleCache[layer];
  };

  /** A VectorGrid style function for `style`; `seen` (a Set) collects the values drawn. */
  Ioc.styleFunction = function (style, seen, overrides) {
    var base = Object.assign({}, style.base || {}, overrides || {});
    var colors = style.colors || {};
    var prop = style.property;
    return function (properties, zoom, dim) {
      var out = Object.assign({}, base);
      var value = prop ? properties[prop] : null;
      if (prop && colors[value] !== undefined) {
        out.fillColor = colors[value];
        if (dim !== 3) out.color = base.color || colors[value];
        if (seen && seen.size < 500) seen.add(value);
      }
      out.fill = dim !== 2 && out.fillOpacity !== 0;
      if (dim === 2) out.fill = false;
      return out;
    };
  };

  /** Render `legend` into `container`; `only` (a Set) limits the rows to the values shown. */
  Ioc.renderLegend = function (container, legend, only, heading) {
    var box = Ioc.el("div", {"class": "legend-layer"});
    if (heading !== false) {
      box.appendChild(Ioc.el("h3", {}, typeof heading === "string" ? heading : Ioc.pick(legend.title)));
    }
    var list = Ioc.el("ul", {"class": "legend-list"});
    legend.entries.forEach(function (e) {
      if (only && e.value !== null && !only.has(e.value)) return;
      var li = Ioc.el("li", {"data-value": e.value === null ? "" : e.value});
      var swatch = Ioc.el("span", {"class": "swatch"});
      swatch.style.background = e.color;
      li.appendChild(swatch);
      var label = Ioc.pick(e.label);
      if (e.value && label.indexOf(e.value) === -1 && /^[A-Z]{3}$/.test(e.value)) {
        li.appendChild(Ioc.el("b", {"class": "code"}, e.value));
      }
      li.appendChild(Ioc.el("span", {"class": "label"}, label));
      list.appendChild(li);
    });
    box.appendChild(list);
    container.appendChild(box);
    return box;
  };

  /* ---- layers from TileJSON ----------------------------------------------------------- */

  Ioc.tilejson = function (layer) {
    return Ioc.link(layer, "tilejson").then(Ioc.getJSON);
  };

  /** A VectorGrid layer for catalog layer `layer` (or several, "a,b": one tile carries them
   *  all), each styled by its published style; `opts.overrides[name]` adjusts one layer. */
  Ioc.vectorLayer = function (layer, opts) {
    opts = opts || {};
    var names = layer.split(",");
    var tilejson = names.length > 1
      ? Ioc.link(names[0], "tilejson").then(function (url) {
          // The catalog's TileJSON URL of one layer, asked for the set (the API's multi-layer form).
          return Ioc.getJSON(url.replace("/" + names[0] + "/", "/" + names.join(",") + "/"));
        })
      : Ioc.tilejson(layer);
    return Promise.all([tilejson].concat(names.map(Ioc.style))).then(function (res) {
      var tj = res[0];
      var styles = {};
      names.forEach(function (name, i) {
        var over = opts.overrides && opts.overrides[name] !== undefined ? opts.overrides[name] : opts.overrides;
        styles[name] = Ioc.styleFunction(res[i + 1], opts.seen, over);
        if (opts.minZoomOf && opts.minZoomOf[name]) {
          var fn = styles[name], from = opts.minZoomOf[name];
          styles[name] = function (p, z, d) { return z >= from ? fn(p, z, d) : []; };
        }
      });
      var grid = Ioc.tileGrid();
      var minZoom = opts.minZoom !== undefined ? opts.minZoom : (tj.minzoom || 0);
      var layer = L.vectorGrid.protobuf(tj.tiles[0], Object.assign({
        vectorTileLayerStyles: styles,
        // Zooms of the map: a tile of zoom z is asked for at z + zoomOffset.
        minZoom: minZoom - grid.zoomOffset,
        maxNativeZoom: (tj.maxzoom || 22) - grid.zoomOffset,
        maxZoom: 22,
        interactive: false,
        pane: opts.pane || "overlayPane",
        rendererFactory: L.canvas.tile,
        updateWhenZooming: false,
        attribution: tj.attribution || ""
      }, grid));
      if (grid.zoomOffset) {
        // VectorGrid ignores zoomOffset when it builds the tile URL (Leaflet's TileLayer does not).
        var fetchTile = layer._getVectorTilePromise;
        layer._getVectorTilePromise = function (coords) {
          return fetchTile.call(this, {x: coords.x, y: coords.y, z: coords.z + grid.zoomOffset});
        };
      }
      return layer;
    });
  };

  /** A raster tile layer for catalog layer `layer` from its TileJSON. */
  Ioc.rasterLayer = function (layer, opts) {
    return Ioc.tilejson(layer).then(function (tj) {
      var grid = Ioc.tileGrid();
      return L.tileLayer(tj.tiles[0], Object.assign({
        minZoom: 0, maxNativeZoom: (tj.maxzoom || 14) - grid.zoomOffset, maxZoom: 22, opacity: 0.6,
        updateWhenZooming: false
      }, grid, opts || {}));
    });
  };

  /** The base map: land, provinces and communes from our own vector tiles. One layer each:
   *  each is over-zoomed past its own max zoom (the province fill stays when zoomed in). */
  Ioc.baseMap = function (map) {
    map.createPane("base");
    map.getPane("base").style.zIndex = 200;
    (Ioc.config.base_layers || []).forEach(function (name) {
      // Land is the provinces filled in a paper colour; communes only once they are readable.
      var opts = name === "provinces"
        ? {overrides: {fill: true, fillColor: "#f3f1eb", fillOpacity: 1}, minZoom: 0}
        : {overrides: {fillOpacity: 0}, minZoom: 8};
      opts.pane = "base";
      Ioc.vectorLayer(name, opts).then(function (l) { l.addTo(map); })
        .catch(function (e) { console.warn("base map", name, e.message); });
    });
  };

  /** Bounds of a collection's spatial extent ([[s, w], [n, e]]) or null. */
  Ioc.collectionBounds = function (layer) {
    return Ioc.link(layer, "collection").then(Ioc.getJSON).then(function (c) {
      var b = c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0];
      return b ? [[b[1], b[0]], [b[3], b[2]]] : null;
    });
  };

  /** Bounds of the first feature of `layer` matching CQL2 `filter` (or of any feature). */
  Ioc.featureBounds = function (layer, filter) {
    var q = {limit: 1};
    if (filter) { q.filter = filter; q["filter-lang"] = "cql2-text"; }
    return Ioc.getJSON(Ioc.url("items", {layer: layer}, q)).then(function (fc) {
      return fc.features && fc.features.length ? L.geoJSON(fc.features[0]).getBounds() : null;
    });
  };

  /** Where `layer`'s data is: its collection extent, or near a feature of it when the
   *  extent is only the country's outline (a collection that does not compute its extent). */
  Ioc.dataBounds = function (layer) {
    return Ioc.collectionBounds(layer).then(function (b) {
      if (b && (b[1][1] - b[0][1]) < 3) return L.latLngBounds(b);
      return Ioc.featureBounds(layer);
    });
  };

  /** The `n` most recent alerts started in the `hours` before `end`, newest first. */
  Ioc.recentAlerts = function (end, hours, n) {
    var start = new Date(end.getTime() - hours * 3600 * 1000);
    var q = {limit: 1000, datetime: start.toISOString() + "/" + end.toISOString()};
    return Ioc.getJSON(Ioc.url("items", {layer: "alerts"}, q)).then(function (fc) {
      return (fc.features || []).sort(function (a, b) {
        return String(b.properties.started_at).localeCompare(String(a.properties.started_at));
      }).slice(0, n);
    });
  };

  /** A layer switcher whose labels follow the language: add(layer, key) with an i18n key. */
  Ioc.layerControl = function (map) {
    var control = L.control.layers(null, null, {collapsed: false, position: "topright"}).addTo(map);
    var entries = [];
    Ioc.onLang(function () {
      entries.forEach(function (e) { control.removeLayer(e[0]); control.addOverlay(e[0], Ioc.t(e[1])); });
    });
    return {
      add: function (layer, key) { entries.push([layer, key]); control.addOverlay(layer, Ioc.t(key)); },
      control: control
    };
  };

  /* ---- live events (server-sent events) ----------------------------------------------- */

  /** Subscribe to /events; `handlers` maps event names to functions of the parsed data. */
  Ioc.events = function (handlers, onState) {
    var source = new EventSource(Ioc.url("events", {}));
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (ev) {
        var data = null;
        try { data = JSON.parse(ev.data); } catch (e) { data = ev.data; }
        handlers[name](data);
      });
    });
    if (onState) {
      source.onopen = function () { onState(true); };
      source.onerror = function () { onState(false); };
    }
    return source;
  };

  window.Ioc = Ioc;
})();
