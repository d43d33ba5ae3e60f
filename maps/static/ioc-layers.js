/* ioc-gis pages: layers, legends and styles, all read from what the API publishes: the
 * catalog (/layers) links each layer's TileJSON, legend and style; nothing here writes a tile
 * URL or a colour of its own. Extends window.Ioc (ioc.js). */
(function () {
  "use strict";
  var Ioc = window.Ioc;

  /** Tile options for this screen: on a 4K wall, 512 px tiles one zoom up (the same detail
   *  on screen, a quarter of the requests: browsers queue only six per server). */
  Ioc.tileGrid = function () {
    return window.innerWidth * (window.devicePixelRatio || 1) > 2500
      ? {tileSize: 512, zoomOffset: -1} : {tileSize: 256, zoomOffset: 0};
  };


  /* ---- the page's layers (config made from the page registry and the catalog) ---------- */

  /** The page's layers: [{id, use, kind, title, shown, legend, label, legend_title, ...}]. */
  Ioc.pageLayers = function () { return Ioc.config.layers || []; };

  /** The page or base layer `id` as the page declares it (null when it has none). */
  Ioc.pageLayer = function (id) {
    var all = (Ioc.config.layers || []).concat(Ioc.config.base_layers || []);
    return all.find(function (l) { return l.id === id; }) || null;
  };

  /** The id of the page's layer given job `use` ("cadastre", "monitoring", ...), or null. */
  Ioc.layerFor = function (use) {
    var all = (Ioc.config.layers || []).concat(Ioc.config.base_layers || []);
    var found = all.find(function (l) { return l.use === use; });
    return found ? found.id : null;
  };

  /** A page layer's name in the current language: the page's label, else the catalog title. */
  Ioc.layerLabel = function (entry) {
    return entry.label ? Ioc.t(entry.label) : Ioc.pick(entry.title);
  };

  /** The heading of a page layer's legend block (undefined: the legend's own title). */
  Ioc.legendHeading = function (entry) {
    return entry && entry.legend_title ? Ioc.t(entry.legend_title) : undefined;
  };

  /** A Leaflet layer drawing page layer `entry` with its published TileJSON and style;
   *  `seen` (a Set) collects the values a vector layer draws. */
  Ioc.overlay = function (entry, seen) {
    if (entry.kind === "raster") {
      return Ioc.rasterLayer(entry.id, entry.opacity === null ? {} : {opacity: entry.opacity});
    }
    return Ioc.vectorLayer(entry.id, {seen: seen});
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
        zIndex: opts.zIndex || 1,
        attribution: tj.attribution || "",
        // The wall sends no credentials: its tiles are the public ones (see Ioc.credentials).
        fetchOptions: {credentials: Ioc.credentials()}
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
    (Ioc.config.base_layers || []).forEach(function (entry) {
      // The "land" layer is filled in a paper colour; the others are lines, drawn from the
      // zoom the page declares (communes only once they are readable). zIndex: the opaque
      // land below the lines whichever layer's tiles arrive first.
      var opts = entry.use === "land"
        ? {overrides: {fill: true, fillColor: "#f3f1eb", fillOpacity: 1}, zIndex: 1}
        : {overrides: {fillOpacity: 0}, zIndex: 2};
      opts.minZoom = entry.minzoom;
      opts.pane = "base";
      Ioc.vectorLayer(entry.id, opts).then(function (l) { l.addTo(map); })
        .catch(function (e) { console.warn("base map", entry.id, e.message); });
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
    return Ioc.getJSON(Ioc.url("items", {layer: Ioc.layerFor("exceedances")}, q)).then(function (fc) {
      return (fc.features || []).sort(function (a, b) {
        return String(b.properties.started_at).localeCompare(String(a.properties.started_at));
      }).slice(0, n);
    });
  };

  /** A layer switcher whose labels follow the language: add(layer, entry) with a page layer. */
  Ioc.layerControl = function (map) {
    var control = L.control.layers(null, null, {collapsed: false, position: "topright"}).addTo(map);
    var entries = [];
    Ioc.onLang(function () {
      entries.forEach(function (e) {
        control.removeLayer(e[0]); control.addOverlay(e[0], Ioc.layerLabel(e[1]));
      });
    });
    return {
      add: function (layer, entry) {
        entries.push([layer, entry]); control.addOverlay(layer, Ioc.layerLabel(entry));
      },
      control: control
    };
  };

})();
