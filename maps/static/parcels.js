/* /maps/parcels: search or click a parcel, its card (purposes, planning, history, land users),
 * selection and export. Land users are personal data: the API returns them to the land role only
 * (and audits each response), so the card lists them when the API sent them and otherwise says
 * who may see them. The top bar shows who is signed in. */
(function () {
  "use strict";
  var Ioc = window.Ioc;
  // The page's layers come from its config (the page registry): the cadastre (parcel look-ups,
  // colours of the card's swatches), the commune units (search by name) and the overlays.
  var state = {map: null, highlight: null, current: null, selection: new Map(), me: null,
               cadastre: null, communes: null, overlays: {}, seen: {}};

  function $(id) { return document.getElementById(id); }

  function message(text) { $("search-message").textContent = text || ""; }

  /** The current version of a parcel as a GeoJSON feature, from the OGC API collection. */
  function parcelFeature(commune, sheet, number) {
    var filter = "commune_code='" + commune + "' AND sheet_number=" + Number(sheet) +
      " AND parcel_number=" + Number(number);
    return Ioc.getJSON(Ioc.url("items", {layer: state.cadastre},
      {filter: filter, "filter-lang": "cql2-text", limit: 1}))
      .then(function (fc) { return (fc.features || [])[0] || null; });
  }

  function key(p) { return p.commune_code + "/" + p.sheet_number + "/" + p.parcel_number; }

  function row(dl, label, value) {
    dl.appendChild(Ioc.el("dt", {}, label));
    dl.appendChild(Ioc.el("dd", {}, value === null || value === undefined || value === "" ? "–" : value));
  }

  function purposeName(p) {
    return Ioc.pick(p, "name") || Ioc.pick(p.name) || p.land_use_name || "";
  }

  /** Colour a swatch with the published legend colour of land-use `code`. */
  function swatchColour(sw, code) {
    Ioc.legend(state.cadastre).then(function (lg) {
      var e = lg.entries.find(function (x) { return x.value === code; });
      if (e) sw.style.background = e.color;
    }).catch(function () {});
  }

  function renderPurposes(body, purposes) {
    body.appendChild(Ioc.el("h3", {}, Ioc.t("purposes")));
    var table = Ioc.el("table", {"class": "purposes"});
    (purposes || []).forEach(function (p) {
      var tr = Ioc.el("tr");
      var code = p.code || p.land_use_code;
      var sw = Ioc.el("span", {"class": "swatch"});
      swatchColour(sw, code);
      var td = Ioc.el("td"); td.appendChild(sw); td.appendChild(Ioc.el("b", {}, code));
      tr.appendChild(td);
      var name = Ioc.el("td", {}, purposeName(p));
      var extra = [p.term, p.origin].filter(Boolean).join(" · ");
      if (extra) name.appendChild(Ioc.el("div", {"class": "sub"}, extra));
      tr.appendChild(name);
      tr.appendChild(Ioc.el("td", {"class": "num"}, Ioc.fmtArea(p.area_m2)));
      table.appendChild(tr);
    });
    body.appendChild(table);
  }

  function renderPlanning(body, planning) {
    body.appendChild(Ioc.el("h3", {}, Ioc.t("planning")));
    var rows = Array.isArray(planning) ? planning : (planning && (planning.planned || planning.zones)) || [];
    var total = planning && planning.legal_area_m2;
    if (!rows.length) { body.appendChild(Ioc.el("p", {"class": "hint"}, Ioc.t("planning_none"))); return; }
    var table = Ioc.el("table", {"class": "planning"});
    rows.forEach(function (z) {
      var tr = Ioc.el("tr");
      var code = z.planned_use || z.code || z.land_use_code;
      var td = Ioc.el("td"), sw = Ioc.el("span", {"class": "swatch"});
      swatchColour(sw, code);
      td.appendChild(sw); td.appendChild(Ioc.el("b", {}, code));
      tr.appendChild(td);
      tr.appendChild(Ioc.el("td", {}, purposeName(z) || z.plan_name || ""));
      var share = total ? " (" + Ioc.fmtNumber(100 * z.area_m2 / total, 0) + "%)" : "";
      tr.appendChild(Ioc.el("td", {"class": "num"}, Ioc.fmtArea(z.area_m2) + share));
      table.appendChild(tr);
    });
    body.appendChild(table);
  }

  function renderHistory(body, history) {
    body.appendChild(Ioc.el("h3", {}, Ioc.t("history")));
    var list = Ioc.el("ol", {"class": "history"});
    (history || []).forEach(function (v) {
      var codes = (v.purposes || []).map(function (p) { return p.code || p.land_use_code; }).join(", ");
      var to = v.valid_to ? Ioc.fmtTime(v.valid_to) : Ioc.t("current");
      list.appendChild(Ioc.el("li", {}, Ioc.fmtTime(v.valid_from) + " → " + to + " · " +
        Ioc.fmtArea(v.legal_area_m2) + (codes ? " · " + codes : "")));
    });
    if (!list.children.length) list.appendChild(Ioc.el("li", {"class": "hint"}, "–"));
    body.appendChild(list);
  }

  /** The land users the API returned (land role only), or a note on who may see them. */
  function renderUsers(body, users) {
    var land = state.me && state.me.role === "land";
    if (!users && !land) {
      body.appendChild(Ioc.el("p", {"class": "hint privacy"}, Ioc.t("land_users_hidden")));
      return;
    }
    body.appendChild(Ioc.el("h3", {}, Ioc.t("land_users")));
    var list = Ioc.el("ul", {"class": "land-users"});
    (users || []).forEach(function (u) {
      var li = Ioc.el("li");
      li.appendChild(Ioc.el("b", {}, u.full_name));
      var extra = [u.id_number ? Ioc.t("id_number") + " " + u.id_number : "", u.address]
        .filter(Boolean).join(" · ");
      if (extra) li.appendChild(Ioc.el("div", {"class": "sub"}, extra));
      list.appendChild(li);
    });
    if (!list.children.length) list.appendChild(Ioc.el("li", {"class": "hint"}, "–"));
    body.appendChild(list);
  }

  function renderCard(p, planning, history) {
    var body = $("card-body");
    body.textContent = "";
    var title = Ioc.t("parcel_number") + " " + p.parcel_number + " · " + Ioc.t("sheet") + " " + p.sheet_number;
    body.appendChild(Ioc.el("p", {"class": "card-title"}, title));
    var dl = Ioc.el("dl");
    var commune = p.commune_name || (p.commune && (p.commune.name || p.commune)) || "";
    row(dl, Ioc.t("commune"), (commune ? commune + " " : "") + "(" + p.commune_code + ")");
    row(dl, Ioc.t("parcel_code"), p.parcel_code);
    row(dl, Ioc.t("legal_area"), Ioc.fmtArea(p.legal_area_m2));
    row(dl, Ioc.t("address"), p.address);
    row(dl, Ioc.t("certificate"), p.certificate_number);
    body.appendChild(dl);
    renderPurposes(body, p.purposes);
    renderPlanning(body, planning);
    renderUsers(body, p.users);
    renderHistory(body, history || p.history || []);
    // The cadastral extract (PDF; land users in it for the land role only, as on the card).
    body.appendChild(Ioc.el("a", {"class": "btn", id: "extract-pdf", target: "_blank",
      rel: "noopener", href: Ioc.url("parcel_extract", {commune: p.commune_code,
        sheet: p.sheet_number, number: p.parcel_number})}, Ioc.t("extract_pdf")));
    $("parcel-card").hidden = false;
  }

  /** Open the card of parcel (commune, sheet, number) and outline it on the map. */
  function openParcel(commune, sheet, number, fit) {
    message(Ioc.t("loading"));
    var ids = {commune: commune, sheet: sheet, number: number};
    var detail = Ioc.getJSON(Ioc.url("parcel", ids, {history: "true"})).then(function (doc) {
      var p = doc.parcel || doc;
      if (p.planning) return [doc, p.planning];
      return Ioc.getJSON(Ioc.url("parcel_planning", ids)).then(function (pl) { return [doc, pl]; });
    });
    var feature = parcelFeature(commune, sheet, number).catch(function () { return null; });
    return Promise.all([detail, feature]).then(function (res) {
      var doc = res[0][0], p = doc.parcel || doc, geo = res[1];
      message("");
      state.current = {parcel: p, feature: geo, planning: res[0][1], history: doc.history};
      renderCard(p, res[0][1], doc.history);
      if (state.highlight) state.map.removeLayer(state.highlight);
      if (geo) {
        state.highlight = L.geoJSON(geo, {style: {color: "#0d47a1", weight: 3, fillOpacity: 0.1}})
          .addTo(state.map);
        if (fit) state.map.fitBounds(state.highlight.getBounds(), {maxZoom: 18, padding: [40, 40]});
      }
    }).catch(function (err) {
      message(err.status === 404 ? Ioc.t("not_found") : Ioc.t("error_load") + (err.detail ? ": " + err.detail : ""));
    });
  }

  function onMapClick(ev) {
    Ioc.getJSON(Ioc.url("parcel_at", {}, {lon: ev.latlng.lng.toFixed(7), lat: ev.latlng.lat.toFixed(7)}))
      .then(function (res) {
        var p = res.parcel || res;
        $("f-commune").value = p.commune_code; $("f-sheet").value = p.sheet_number;
        $("f-number").value = p.parcel_number;
        return openParcel(p.commune_code, p.sheet_number, p.parcel_number, false);
      })
      .catch(function (err) {
        message(err.status === 404 ? Ioc.t("not_found") : Ioc.t("error_load"));
      });
  }

  /** Communes whose name contains `text`, whatever its capitals and marks ("ba dinh" finds
   *  "Ba Đình"): CQL2 CASEI/ACCENTI, folded and indexed by the server. */
  function communesNamed(text) {
    var quoted = text.replace(/'/g, "''");
    var filter = "CASEI(ACCENTI(name)) LIKE CASEI(ACCENTI('%" + quoted + "%'))";
    return Ioc.getJSON(Ioc.url("items", {layer: state.communes},
      {filter: filter, "filter-lang": "cql2-text", limit: 8}))
      .then(function (fc) { return fc.features || []; });
  }

  /** The 5-digit code the user meant: typed as is, or found by name (a choice when several). */
  function findCommune(value) {
    var box = $("commune-choices");
    box.hidden = true;
    if (/^[0-9]{5}$/.test(value)) return Promise.resolve(value);
    return communesNamed(value).then(function (found) {
      if (found.length === 1) {
        $("f-commune").value = found[0].properties.code;
        return found[0].properties.code;
      }
      if (!found.length) { message(Ioc.t("no_commune")); return null; }
      box.textContent = "";
      box.appendChild(Ioc.el("span", {"class": "hint"}, Ioc.t("choose_commune")));
      found.forEach(function (f) {
        var p = f.properties;
        var b = Ioc.el("button", {type: "button"}, p.name + " (" + p.code + ")");
        b.addEventListener("click", function () {
          $("f-commune").value = p.code; box.hidden = true;
          openParcel(p.code, $("f-sheet").value, $("f-number").value, true);
        });
        box.appendChild(b);
      });
      box.hidden = false;
      return null;
    }).catch(function () { message(Ioc.t("error_load")); return null; });
  }

  function renderSelection() {
    var list = $("selection-list");
    list.textContent = "";
    state.selection.forEach(function (item, k) {
      var li = Ioc.el("li", {}, k.replace(/\//g, " · "));
      var rm = Ioc.el("button", {type: "button", "class": "icon", "aria-label": Ioc.t("close")}, "×");
      rm.addEventListener("click", function () { state.selection.delete(k); renderSelection(); });
      li.appendChild(rm);
      list.appendChild(li);
    });
    $("selection-count").textContent = state.selection.size;
  }

  function exportSelection(format) {
    var features = [];
    state.selection.forEach(function (item) { if (item.feature) features.push(item.feature); });
    if (!features.length) return;
    fetch(Ioc.url("export", {}, {format: format}), {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({type: "FeatureCollection", features: features})
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      var name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
      return r.blob().then(function (blob) {
        var a = Ioc.el("a", {href: URL.createObjectURL(blob), download: name ? name[1] : "parcels." + format});
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      });
    }).catch(function () { message(Ioc.t("error_load")); });
  }

  /** Whether `entry`'s legend belongs in the box: its layer is on the map (or is to be). */
  function legendShown(entry) {
    var layer = state.overlays[entry.id];
    return entry.legend !== "none" && (layer ? state.map.hasLayer(layer) : entry.shown);
  }

  function legendRefresh() {
    var box = $("legend-body");
    var entries = Ioc.pageLayers().filter(legendShown);
    Promise.all(entries.map(function (e) {
      return Ioc.legend(e.id).catch(function () { return null; });
    })).then(function (legends) {
      box.textContent = "";
      if (!legends.some(Boolean)) { box.textContent = Ioc.t("error_load"); return; }
      entries.forEach(function (e, i) {
        if (!legends[i]) return;
        var seen = state.seen[e.id];
        // "drawn": only the values drawn so far (e.g. the plan's purposes, with its outline).
        var only = e.legend === "drawn" && seen && seen.size ? seen : null;
        var block = Ioc.renderLegend(box, legends[i], only, Ioc.legendHeading(e));
        if (e.legend_class) block.classList.add(e.legend_class);
      });
    });
  }

  function bindUi() {
    $("search-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      findCommune($("f-commune").value.trim()).then(function (code) {
        if (code) openParcel(code, $("f-sheet").value, $("f-number").value, true);
      });
    });
    $("code-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var code = $("f-code").value.trim();
      Ioc.getJSON(Ioc.url("parcel_code", {code: code})).then(function (p) {
        openParcel(p.commune_code, p.sheet_number, p.parcel_number, true);
      }).catch(function () { message(Ioc.t("not_found")); });
    });
    $("card-close").addEventListener("click", function () {
      $("parcel-card").hidden = true;
      if (state.highlight) { state.map.removeLayer(state.highlight); state.highlight = null; }
    });
    $("add-selection").addEventListener("click", function () {
      if (state.current) {
        state.selection.set(key(state.current.parcel), state.current);
        renderSelection();
      }
    });
    $("selection-clear").addEventListener("click", function () { state.selection.clear(); renderSelection(); });
    document.querySelectorAll(".export [data-format]").forEach(function (a) {
      a.addEventListener("click", function (ev) { ev.preventDefault(); exportSelection(a.dataset.format); });
    });
    Ioc.onLang(function () {
      legendRefresh();
      var cur = state.current;
      if (cur && !$("parcel-card").hidden) renderCard(cur.parcel, cur.planning, cur.history);
    });
  }

  function start(map, config) {
    state.map = map;
    Ioc.init(config);
    state.cadastre = Ioc.layerFor("cadastre");
    state.communes = Ioc.layerFor("commune_units");
    Ioc.baseMap(map);
    bindUi();
    Ioc.authBox($("auth-box")).then(function (me) {
      state.me = me;
      var cur = state.current;  // a card opened before we knew who is signed in
      if (cur && !$("parcel-card").hidden) renderCard(cur.parcel, cur.planning, cur.history);
    });
    var control = Ioc.layerControl(map);
    Ioc.pageLayers().forEach(function (entry) {
      state.seen[entry.id] = new Set();
      Ioc.overlay(entry, state.seen[entry.id]).then(function (layer) {
        state.overlays[entry.id] = layer;
        if (entry.shown) layer.addTo(map);
        control.add(layer, entry);
        layer.on("load", legendRefresh);
      }).catch(function (e) { console.warn("layer", entry.id, e.message); });
    });
    map.on("overlayadd overlayremove", legendRefresh);
    map.on("click", onMapClick);
    var q0 = new URLSearchParams(location.search);
    if (!q0.get("number")) {
      Ioc.dataBounds(state.cadastre).then(function (b) {
        if (b) map.setView(b.getCenter(), 16);
      }).catch(function () {});
    }
    legendRefresh();
    var q = new URLSearchParams(location.search);
    if (q.get("commune") && q.get("sheet") && q.get("number")) {
      $("f-commune").value = q.get("commune"); $("f-sheet").value = q.get("sheet");
      $("f-number").value = q.get("number");
      openParcel(q.get("commune"), q.get("sheet"), q.get("number"), true);
    }
    window.IocParcels = state;
  }

  window.IocPage = {start: start};
})();
