/* /maps/environment, for environment staff and administrators: my alert subscriptions (add,
 * delete) and the stored monthly/quarterly reports (PDF, XLSX). Routes: /notify/subscriptions,
 * /reports (maps/routers/notify.py, reports.py). */
(function () {
  "use strict";
  var Ioc = window.Ioc;
  var STAFF = ["environment", "admin"];
  var KINDS = ["exceedance", "aqi", "offline", "device"];

  function $(id) { return document.getElementById(id); }

  function send(method, url, body) {
    var opts = {method: method, credentials: "same-origin",
                headers: {Accept: "application/json", "Content-Type": "application/json"}};
    if (body) opts.body = JSON.stringify(body);
    return fetch(url, opts).then(function (r) {
      if (r.ok) return r.status === 204 ? null : r.json();
      return r.json().catch(function () { return {}; }).then(function (b) {
        throw new Error(b.description || ("HTTP " + r.status));
      });
    });
  }

  function showSubscriptions() {
    var list = $("notify-list");
    return Ioc.getJSON(Ioc.url("notify_subscriptions", {})).then(function (doc) {
      list.textContent = "";
      if (!doc.subscriptions.length) {
        list.appendChild(Ioc.el("li", {"class": "hint", "data-i18n": "notify_none"},
                                Ioc.t("notify_none")));
      }
      doc.subscriptions.forEach(function (s) {
        var li = Ioc.el("li", {"data-subscription": String(s.id)});
        li.appendChild(Ioc.el("b", {"data-i18n": "notify_kind_" + s.kind},
                              Ioc.t("notify_kind_" + s.kind)));
        li.appendChild(Ioc.el("span", {"class": "grow"}, s.area + " → " + s.address));
        var del = Ioc.el("button", {type: "button", "class": "icon",
                                    "aria-label": Ioc.t("notify_delete")}, "×");
        del.addEventListener("click", function () {
          send("DELETE", Ioc.url("notify_subscription", {id: s.id})).then(showSubscriptions)
            .catch(function (e) { $("notify-error").textContent = e.message; });
        });
        li.appendChild(del);
        list.appendChild(li);
      });
    });
  }

  function showReports() {
    var list = $("report-list");
    return Ioc.getJSON(Ioc.url("reports", {}, {limit: 12})).then(function (doc) {
      list.textContent = "";
      if (!doc.reports.length) {
        list.appendChild(Ioc.el("li", {"class": "hint", "data-i18n": "reports_none"},
                                Ioc.t("reports_none")));
      }
      doc.reports.forEach(function (r) {
        var li = Ioc.el("li", {"data-report": String(r.id)});
        li.appendChild(Ioc.el("b", {"data-i18n": "report_" + r.kind}, Ioc.t("report_" + r.kind)));
        li.appendChild(Ioc.el("span", {"class": "grow"}, r.area + " · " + r.period));
        if (r.revised) {
          li.appendChild(Ioc.el("span", {"class": "tag", "data-i18n": "report_revised"},
                                Ioc.t("report_revised")));
        }
        ["pdf", "xlsx"].forEach(function (fmt) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(Ioc.el("a", {href: Ioc.url("report", {id: r.id}, {format: fmt}),
                                      download: ""}, fmt.toUpperCase()));
        });
        list.appendChild(li);
      });
    });
  }

  function start() {
    var panel = $("notify-panel");
    if (!panel || !Ioc.config || !Ioc.config.api.notify_subscriptions) return;
    Ioc.getJSON(Ioc.url("me", {})).then(function (me) {
      if (!me || STAFF.indexOf(me.role) < 0) return;
      var kind = $("notify-kind");
      KINDS.forEach(function (k) {
        kind.appendChild(Ioc.el("option", {value: k, "data-i18n": "notify_kind_" + k},
                                Ioc.t("notify_kind_" + k)));
      });
      $("notify-form").addEventListener("submit", function (ev) {
        ev.preventDefault();
        $("notify-error").textContent = "";
        send("POST", Ioc.url("notify_subscriptions", {}), {
          kind: kind.value, area: $("notify-area").value.trim(),
          email: $("notify-email").value.trim(), language: Ioc.lang
        }).then(function () { $("notify-area").value = ""; return showSubscriptions(); })
          .catch(function (e) { $("notify-error").textContent = e.message; });
      });
      panel.hidden = false;
      return Promise.all([showSubscriptions(), showReports()]);
    }).catch(function () { /* signed out or no rights: the panel stays hidden */ });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
