// Live figures on the overview and unit pages: server-sent events carry the unit's totals and the
// rows of its table of child units as raw numbers; the page formats them in its own language.
// Without JavaScript or EventSource the page is complete as served, and a reload shows newer figures.
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

  // The table of child units (regions, districts, …): each row is rewritten only when its figures
  // changed, and marked so that sighted readers see what moved. No row is a live region: the
  // page's one status line says that figures were updated, so a screen reader is not flooded.
  function leaderText(table, leader) {
    if (!leader) { return table.getAttribute("data-none") || ""; }
    var name = leader.id === "against-all" ? table.getAttribute("data-against-all") : leader.name;
    return name + " (" + pcts.format(Number(leader.share_pct)) + "\u00a0%)";
  }

  function showLeader(table, cell, leader) {
    var value = leader ? leader.id + " " + leader.share_pct : "";
    if (!cell || cell.getAttribute("data-value") === value) { return false; }
    cell.setAttribute("data-value", value);
    cell.textContent = "";
    if (leader) {
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = leader.colour;
      swatch.setAttribute("aria-hidden", "true");
      cell.appendChild(swatch);
    }
    cell.appendChild(document.createTextNode(leaderText(table, leader)));
    return true;
  }

  function showTile(id, name, table, leader) {
    var tile = document.querySelector('.cartogram a[data-unit="' + id + '"]');
    if (!tile) { return; }
    var rect = tile.querySelector("rect");
    if (rect) { rect.setAttribute("fill", leader ? leader.colour : "#595959"); }
    var pct = tile.querySelector(".t-pct");
    if (pct) { pct.textContent = leader ? pcts.format(Number(leader.share_pct)) + "\u00a0%" : ""; }
    var title = tile.querySelector("title");
    if (title) { title.textContent = name + ": " + leaderText(table, leader).replace(/[()]/g, ""); }
  }

  function updateChildren(children) {
    document.querySelectorAll('table.units[data-children="' + children.contest + '"]').forEach(function (t) {
      Object.keys(children.units).forEach(function (id) {
        var u = children.units[id];
        var row = t.querySelector('tr[data-unit="' + id + '"]');
        if (!row) { return; }
        var before = row.querySelector('[data-field="stations_reported"]').getAttribute("data-value");
        var turnout = row.querySelector('[data-field="turnout_pct"]').getAttribute("data-value");
        show(row.querySelector('[data-field="stations_reported"]'), u.stations_reported, false);
        show(row.querySelector('[data-field="stations_expected"]'), u.stations_expected, false);
        show(row.querySelector('[data-field="turnout_pct"]'), u.turnout_pct, true);
        var moved = showLeader(t, row.querySelector('[data-field="leader"]'), u.leader);
        moved = moved || before !== String(u.stations_reported) || turnout !== String(u.turnout_pct);
        row.classList.toggle("changed", moved);
        if (moved) {
          var link = row.querySelector("th a");
          showTile(id, link ? link.textContent : id, t, u.leader);
        }
      });
    });
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
    if (summary.children) { updateChildren(summary.children); }
    var fresh = document.getElementById("freshness");
    if (fresh && summary.freshness_text) {
      fresh.textContent = summary.freshness_text;
      fresh.setAttribute("data-log-size", String(summary.log_size));
    }
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
