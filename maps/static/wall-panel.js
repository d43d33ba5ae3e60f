/* /wall side panel: key figures, station list, land-use bars, clock and live status. Every
 * node is created once and updated in place (the wall runs for days). Used by wall.js. */
(function () {
  "use strict";
  var Ioc = window.Ioc;

  /** The panel's functions over the wall's state `S` (rows, legends). */
  window.IocWallPanel = function (S) {
    function $(id) { return document.getElementById(id); }
    var textColour = Ioc.textColour, safeColour = Ioc.safeColour;
    function categoryName(p) { return Ioc.categoryName(p, S.legends[S.monitoring]); }
    function stateName(s) { return Ioc.stateName(s, S.legends[S.exceedances]); }

    function stationRow(p) {
      var li = S.rows.get(p.code);
      if (!li) {
        li = Ioc.el("li", {"data-station": p.code});
        li.innerHTML = '<span class="chip"></span><span class="name"></span>' +
          '<span class="cat"></span><span class="obs-time"></span>';
        S.rows.set(p.code, li);
        $("station-list").appendChild(li);
      }
      var chip = li.children[0];
      chip.textContent = p.index_value === null || p.index_value === undefined ? "–" : p.index_value;
      chip.style.background = safeColour(p.color);
      chip.style.color = textColour(p.color);
      li.children[1].textContent = p.name;
      var st = p.state && p.state !== "working" ? " · " + stateName(p.state) : "";
      li.children[2].textContent = categoryName(p) + st;
      li.children[3].textContent = Ioc.fmtTime(p.observed_at, false);
      li.setAttribute("data-observed", p.observed_at || "");
      li.className = "state-" + String(p.state || "").replace(/\W/g, "");
    }

    function figures(features) {
      var air = features.filter(function (f) {
        return f.properties.kind !== "water" && f.properties.index_value !== null &&
          f.properties.index_value !== undefined;
      });
      var worst = air.reduce(function (a, f) {
        return !a || f.properties.index_value > a.properties.index_value ? f : a;
      }, null);
      if (worst) {
        var p = worst.properties;
        $("aqi-value").textContent = p.index_value;
        var cat = $("aqi-category");
        cat.textContent = categoryName(p);
        cat.style.background = safeColour(p.color);
        cat.style.color = textColour(p.color);
        var mean = air.reduce(function (s, f) { return s + f.properties.index_value; }, 0) / air.length;
        $("aqi-sub").textContent = Ioc.t("worst_station") + ": " + p.name + " · " + Ioc.t("mean") + " " +
          Math.round(mean);
      }
      var count = function (s) { return features.filter(function (f) { return f.properties.state === s; }).length; };
      $("exceeding-value").textContent = count("exceeding");
      $("offline-value").textContent = count("offline");
    }

    /* ---- land-use figure ----------------------------------------------------------------- */

    function loadLandUse() {
      var q = Ioc.config.province ? {province: Ioc.config.province.code} : {};
      return Ioc.getJSON(Ioc.url("wall_figures", {}, q)).then(function (doc) {
        var box = $("landuse-bars");
        var groups = doc.parcels_by_group || [];
        var total = groups.reduce(function (s, g) { return s + g.count; }, 0) || 1;
        box.textContent = "";
        groups.forEach(function (g) {
          var row = Ioc.el("div", {"class": "bar-row", "data-group": g.group});
          row.appendChild(Ioc.el("span", {"class": "bar-label"}, Ioc.t(g.group)));
          var bar = Ioc.el("span", {"class": "bar"});
          var fill = Ioc.el("span", {"class": "bar-fill bar-" + g.group});
          fill.style.width = Math.round(100 * g.count / total) + "%";
          bar.appendChild(fill);
          row.appendChild(bar);
          row.appendChild(Ioc.el("span", {"class": "bar-value"}, Ioc.fmtNumber(g.count)));
          box.appendChild(row);
        });
      }).catch(function () {});
    }

    function tickClock() {
      var now = new Date();
      $("clock").textContent = now.toLocaleString(Ioc.lang === "vi" ? "vi-VN" : "en-GB", {
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
        weekday: "short", day: "2-digit", month: "2-digit", year: "numeric", timeZone: "Asia/Ho_Chi_Minh"});
    }

    function setLive(ok) {
      $("live-status").classList.toggle("down", !ok);
      $("live-text").textContent = Ioc.t(ok ? "live" : "reconnecting");
    }

    return {stationRow: stationRow, figures: figures, loadLandUse: loadLandUse,
            tickClock: tickClock, setLive: setLive};
  };
})();
