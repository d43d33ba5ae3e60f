/* ioc-gis pages: shared helpers (language, API access, formatting, live events). Layers,
 * legends and styles are in ioc-layers.js; both only read what the API publishes. */
(function () {
  "use strict";

  var Ioc = {config: null, lang: "vi", listeners: []};

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
    // Headings that name a layer: the catalog title of the page's layer with that job.
    document.querySelectorAll("[data-layer-title]").forEach(function (el) {
      var id = Ioc.layerFor(el.getAttribute("data-layer-title"));
      if (id) el.textContent = Ioc.pick(Ioc.pageLayer(id).title);
    });
    Ioc.listeners.forEach(function (fn) { fn(lang); });
  };

  Ioc.onLang = function (fn) { Ioc.listeners.push(fn); };

  /** An API URL from the template named `name`, e.g. url("items", {layer: id}). */
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

  /** The credentials every request of this page sends. The wall is an anonymous display: it
   *  sends none ("omit"), so even a browser signed in as a land official gets the public data
   *  there (no land users on a screen in a control room). The other pages send the session
   *  cookie ("same-origin"). Not covered by this: <img> raster tiles and the EventSource of
   *  /events, which a browser always sends with its cookies to its own origin; neither carries
   *  personal data for any role. */
  Ioc.credentials = function () {
    return Ioc.config && Ioc.config.anonymous ? "omit" : "same-origin";
  };

  /** GET JSON; rejects with an Error whose `status` is the HTTP status. */
  Ioc.getJSON = function (url, options) {
    var base = {headers: {Accept: "application/json"}, credentials: Ioc.credentials()};
    return fetch(url, Object.assign(base, options || {}))
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

  /** Black or white text, whichever reads on background colour `bg`. */
  Ioc.textColour = function (bg) {
    var m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(bg || "");
    if (!m) return "#000";
    var l = 0.299 * parseInt(m[1], 16) + 0.587 * parseInt(m[2], 16) + 0.114 * parseInt(m[3], 16);
    return l > 150 ? "#111" : "#fff";
  };

  /** `c` if it is a #rgb colour (safe inside a style attribute), else neutral grey. */
  Ioc.safeColour = function (c) { return /^#[0-9a-f]{3,8}$/i.test(c || "") ? c : "#9e9e9e"; };

  /** A station's category name (never colour alone) from its properties and the legend. */
  Ioc.categoryName = function (p, legend) {
    if (!p.category) return Ioc.t("no_data");
    if (Ioc.lang === "vi" && p.category_vi) return p.category_vi;
    var e = legend && legend.entries.find(function (x) { return x.value === p.category; });
    if (e) return Ioc.pick(e.label).replace(/\s*\(.*\)$/, "");
    return String(p.category).replace(/_/g, " ").replace(/^./, function (c) { return c.toUpperCase(); });
  };

  /** A station state's name from the state legend (published with the alerts layer). */
  Ioc.stateName = function (s, legend) {
    if (!s) return "";
    var e = legend && legend.entries.find(function (x) { return x.value === s; });
    return e ? Ioc.pick(e.label) : s.replace(/_/g, " ");
  };

  Ioc.fmtTime = function (value, withDate) {
    if (!value) return "–";
    var d = value instanceof Date ? value : new Date(value);
    var opts = {hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh", hour12: false};
    if (withDate !== false) { opts.day = "2-digit"; opts.month = "2-digit"; opts.year = "numeric"; }
    return d.toLocaleString(Ioc.lang === "vi" ? "vi-VN" : "en-GB", opts);
  };

  /* ---- who is signed in --------------------------------------------------------------- */

  /** Fill `box` with the signed-in user and a sign-out button, or a sign-in link. */
  Ioc.authBox = function (box) {
    if (!box || !Ioc.config.api.me) return Promise.resolve(null);
    return Ioc.getJSON(Ioc.url("me", {})).catch(function () { return null; }).then(function (me) {
      box.textContent = "";
      var signedIn = me && me.role && me.method && me.method !== "anonymous";
      if (!signedIn) {
        var next = location.pathname + location.search;
        box.appendChild(Ioc.el("a", {href: Ioc.url("login", {}, {next: next}), "class": "btn",
                                     "data-i18n": "sign_in"}, Ioc.t("sign_in")));
        return me;
      }
      var who = Ioc.el("span", {"class": "who"});
      who.appendChild(Ioc.el("b", {}, me.subject));
      who.appendChild(document.createTextNode(" · "));
      who.appendChild(Ioc.el("span", {"class": "role", "data-i18n": "role_" + me.role},
                             Ioc.t("role_" + me.role)));
      box.appendChild(who);
      if (me.method === "session") {
        var out = Ioc.el("button", {type: "button", "class": "btn", "data-i18n": "sign_out"},
                         Ioc.t("sign_out"));
        out.addEventListener("click", function () {
          fetch(Ioc.url("logout", {}), {method: "POST", credentials: "same-origin"})
            .finally(function () { location.reload(); });
        });
        box.appendChild(out);
      }
      return me;
    });
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
