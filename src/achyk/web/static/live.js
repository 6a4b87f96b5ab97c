// Live figures on the overview: server-sent events carry the national totals as raw numbers;
// the page formats them in its own language. Without JavaScript or EventSource the page is
// complete as served, and a reload shows newer figures.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-live");
  if (!url || !window.EventSource) { return; }
  var lang = document.documentElement.lang || "ru";
  var ints = new Intl.NumberFormat(lang);
  var pcts = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var status = document.getElementById("live-status");
  var last = null;

  function show(el, value, pct) {
    if (!el) { return; }
    var text = pct ? pcts.format(Number(value)) + "\u00a0%" : ints.format(Number(value));
    if (el.getAttribute("data-value") !== String(value)) {
      el.setAttribute("data-value", String(value));
      el.textContent = text;
    }
  }

  function update(summary) {
    Object.keys(summary.contests).forEach(function (cid) {
      var c = summary.contests[cid];
      document.querySelectorAll('.figures[data-contest="' + cid + '"]').forEach(function (dl) {
        ["stations_reported", "stations_expected", "issued", "valid"].forEach(function (f) {
          show(dl.querySelector('[data-field="' + f + '"]'), c[f], false);
        });
        ["reported_pct", "turnout_pct"].forEach(function (f) {
          show(dl.querySelector('[data-field="' + f + '"]'), c[f], true);
        });
      });
      document.querySelectorAll('table.results[data-contest="' + cid + '"]').forEach(function (t) {
        Object.keys(c.options).forEach(function (o) {
          var row = t.querySelector('tr[data-option="' + o + '"]');
          if (!row) { return; }
          show(row.querySelector('[data-field="votes"]'), c.options[o].votes, false);
          var share = row.querySelector('[data-field="share_pct"]');
          show(share, c.options[o].share_pct, true);
          var bar = row.querySelector(".bar > span");
          if (bar) { bar.style.width = c.options[o].share_pct + "%"; }
        });
      });
    });
    document.body.setAttribute("data-stamp", String(summary.stamp));
    if (status && last !== null && last !== summary.stamp) {
      status.textContent = status.getAttribute("data-updated") || status.textContent;
      status.textContent += " " + new Date().toLocaleTimeString(lang);
      status.classList.add("updated");
    }
    last = summary.stamp;
  }

  var source = new EventSource(url);
  source.addEventListener("results", function (event) { update(JSON.parse(event.data)); });
})();
