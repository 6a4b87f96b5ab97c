/* A station's page in the published (static) copy: drawn from its district's file.
 * The page's URL names the station (?s=ID) and, from the site's own links, its district (&d=ID);
 * without the district, data/protocols/index.json says which file holds the station. Every word
 * comes from the page (its language); every figure from the district file, which `achyk verify`
 * recomputes from the log. */
(function () {
  "use strict";
  var root = document.getElementById("station");
  if (!root) { return; }
  var W = JSON.parse(document.getElementById("station-words").textContent);
  var lang = root.getAttribute("data-lang");
  var files = root.getAttribute("data-files");
  var params = new URLSearchParams(location.search);
  var sid = params.get("s");
  var regions = null;
  try { regions = new Intl.DisplayNames([lang], { type: "region" }); } catch (e) { regions = null; }

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // Grouped as the server writes numbers in this language (CLDR through Babel), not as the
  // browser's own locale data would, so a figure reads the same on every page.
  function group(n) {
    var digits = String(Math.abs(n)), out = "";
    while (digits.length > 3) { out = W.group + digits.slice(-3) + out; digits = digits.slice(0, -3); }
    return (n < 0 ? "-" : "") + digits + out;
  }
  function num(v) { return v === null || v === undefined ? "—" : group(v); }
  function pct(part, whole) {
    var hundredths = whole > 0 ? Math.floor(part * 10000 / whole) : 0; // truncated, as the tally
    var cents = String(hundredths % 100);
    return group(Math.floor(hundredths / 100)) + W.decimal + (cents.length < 2 ? "0" : "") + cents + "\u00a0%";
  }
  function kindName(kind) { return kind === "preliminary" ? W.scanner : W.hand; }
  function fail(text) { root.innerHTML = '<p class="notice">' + esc(text) + "</p>"; }

  // The language links keep the station: the static pages differ only by their language folder.
  document.querySelectorAll("a[data-lang], link[hreflang]").forEach(function (a) {
    a.setAttribute("href", a.getAttribute("href").split("?")[0] + location.search);
  });

  function fetchJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }

  function facts(st) {
    var rows = [[W.address, esc(st.address)]];
    if (st.country) {
      var country = regions ? regions.of(st.country.toUpperCase()) : st.country;
      rows.push([W.country, esc(country) + (st.city ? ", " + esc(st.city) : "")]);
    }
    rows.push([W.registered, num(st.registered_voters)]);
    rows.push([W.devices, st.devices.map(function (d) {
      return "<code>" + esc(d[0]) + "</code> (" + (d[1] === "scanner" ? W.scanner_device : W.backup) + ")";
    }).join(", ")]);
    return '<dl class="facts">' + rows.map(function (r) {
      return "<div><dt>" + esc(r[0]) + "</dt><dd>" + r[1] + "</dd></div>";
    }).join("") + "</dl>";
  }

  // An executed decision annulled the station's result: said first, as on the live page; the
  // complaint and the decision are log entries (this copy has no complaints page to link to).
  function annulment(a) {
    var head = esc(W.annulled).replace("%(decision)s", esc(a.decision)).replace("%(body)s", esc(a.body));
    return '<div class="notice annulled" role="note" data-annulled="' + esc(a.decision) + '"><p><strong>' +
      head + "</strong> — " + esc(W.complaint) + " #" + esc(a.complaint) + ", " +
      esc(W.executed.replace("%(n)s", a.executed)) + ".</p><p>" + esc(W.annulled_note) + "</p></div>";
  }

  function switchesSection(list) {
    return '<section aria-labelledby="h-sw"><h2 id="h-sw">' + esc(W.switches) + "</h2><p>" + esc(W.switches_note) +
      "</p><ul>" + list.map(function (w) {
        return '<li data-switch="' + esc(w[0]) + '">' + esc(W.log_entry) + " #" + esc(w[0]) + ": <code>" + esc(w[1]) +
          "</code> → <code>" + esc(w[2]) + "</code> — " + esc(w[3]) + "</li>";
      }).join("") + "</ul></section>";
  }

  function protocolSection(doc, contest, kinds) {
    var pre = kinds.preliminary || null, off = kinds.official || null;
    var rows = doc.lines.map(function (l, i) {
      return [l[0], l[1] + ". " + (W.labels[l[0]] || l[2]), pre ? pre.lines[i] : null, off ? off.lines[i] : null];
    }).concat(contest.options.map(function (o, i) {
      return [o[0], o[2] + ". " + (o[0] === "against-all" ? W.against_all : o[1]),
              pre ? pre.votes[i] : null, off ? off.votes[i] : null];
    }));
    var differ = rows.filter(function (r) { return r[2] !== null && r[3] !== null && r[2] !== r[3]; }).length;
    var flags = [];
    ["preliminary", "official"].forEach(function (k) {
      (kinds[k] ? kinds[k].flags : []).forEach(function (f) { flags.push("<li>" + esc(kindName(k)) + ": " + esc(f) + "</li>"); });
    });
    var html = '<section class="protocol" aria-labelledby="h-p-' + esc(contest.id) + '">' +
      '<h2 id="h-p-' + esc(contest.id) + '">' + esc(W.protocol) + ": " + esc(contest.name) + "</h2>";
    if (flags.length) {
      html += '<div class="notice flagged"><p>' + esc(W.flagged) + "</p><ul>" + flags.join("") + "</ul></div>";
    }
    if (differ) { html += '<p class="notice differs-note">' + esc(W.differs.replace("%(n)s", differ)) + "</p>"; }
    html += '<div class="scroll" role="region" tabindex="0" aria-label="' + esc(W.protocol + ": " + contest.name) + '">' +
      '<table class="protocol-lines"><caption>' + esc(W.caption) + "</caption><thead><tr>" +
      '<th scope="col">' + esc(W.line) + '</th><th scope="col" class="n">' + esc(W.scanner) +
      '</th><th scope="col" class="n">' + esc(W.hand) + '</th><th scope="col" class="n">' + esc(W.difference) +
      "</th></tr></thead><tbody>";
    rows.forEach(function (r) {
      var d = r[2] !== null && r[3] !== null && r[2] !== r[3];
      html += "<tr" + (d ? ' class="differs"' : "") + ' data-line="' + esc(r[0]) + '"><th scope="row">' + esc(r[1]) +
        '</th><td class="n" data-kind="preliminary">' + num(r[2]) + '</td><td class="n" data-kind="official">' + num(r[3]) +
        '</td><td class="n">' + (d ? '<span class="flag">≠</span> ' + num(r[3] - r[2]) : "") + "</td></tr>";
    });
    html += "</tbody></table></div><h3>" + esc(W.evidence) + "</h3>";
    ["preliminary", "official"].forEach(function (k) {
      var p = kinds[k];
      html += '<div class="evidence"><h4>' + esc(kindName(k)) + "</h4>";
      if (!p) { html += "<p>" + esc(W.not_received) + "</p></div>"; return; }
      html += "<dl><div><dt>" + esc(W.document_hash) + '</dt><dd><code class="hash">' + esc(p.document_hash) + "</code></dd></div>" +
        "<div><dt>" + esc(W.device) + "</dt><dd><code>" + esc(p.device || "—") + "</code></dd></div>" +
        "<div><dt>" + esc(W.signature) + '</dt><dd><code class="hash">' + esc(p.signature || "—") + "</code></dd></div>" +
        "<div><dt>" + esc(W.log_entry) + "</dt><dd>#" + esc(p.log_index) + "</dd></div></dl></div>";
    });
    return html + "</section>";
  }

  function results(contest, kinds) {
    var p = kinds.official || kinds.preliminary;
    if (!p) { return ""; }
    var found = 0, valid = 0;
    doc.lines.forEach(function (l, i) {
      if (l[0] === "found_mobile" || l[0] === "found_stationary") { found += p.lines[i]; }
      if (l[0] === "valid") { valid += p.lines[i]; }
    });
    var base = contest.base === "valid" ? valid : found;
    var rows = contest.options.map(function (o, i) {
      return "<tr><th scope=\"row\">" + esc(o[0] === "against-all" ? W.against_all : o[1]) + '</th><td class="n">' +
        num(p.votes[i]) + '</td><td class="n">' + pct(p.votes[i], base) + "</td></tr>";
    }).join("");
    return '<table class="results"><caption>' + esc(contest.name) + "</caption><thead><tr><th scope=\"col\">" +
      esc(contest.kind === "party-list" ? W["party-list"] : W.candidates) + '</th><th scope="col" class="n">' + esc(W.votes) + '</th><th scope="col" class="n">' +
      esc(W.share) + "</th></tr></thead><tbody>" + rows + "</tbody></table>";
  }

  var doc = null;
  function draw(district) {
    doc = district;
    var st = doc.stations.filter(function (s) { return s.id === sid; })[0];
    if (!st) { fail(W.not_found); return; }
    document.title = st.name + " — " + document.title.split(" — ").slice(-1)[0];
    var crumbs = document.querySelector("nav.crumbs ol");
    if (crumbs) {
      var here = crumbs.querySelector("[aria-current]");
      var base = crumbs.querySelector("a").getAttribute("href");
      here.insertAdjacentHTML("beforebegin",
        '<li><a href="' + esc(base + "region/" + doc.region[0] + "/") + '">' + esc(doc.region[1]) + "</a></li>" +
        '<li><a href="' + esc(base + "district/" + doc.district[0] + "/") + '">' + esc(doc.district[1]) + "</a></li>");
      here.textContent = st.name;
    }
    var html = "<h1>" + esc(st.name) + "</h1>" + facts(st);
    if (st.annulment) { html += annulment(st.annulment); }
    var res = "";
    doc.contests.forEach(function (c) {
      var kinds = st.protocols[c.id] || {};
      html += protocolSection(doc, c, kinds);
      res += results(c, kinds);
    });
    if (st.switches) { html += switchesSection(st.switches); }
    if (st.rejections.length) {
      html += '<section aria-labelledby="h-rej"><h2 id="h-rej">' + esc(W.refused) + "</h2><p>" + esc(W.refused_note) +
        "</p><ul>" + st.rejections.map(function (r) {
          return "<li>" + esc(W.log_entry) + " #" + esc(r[0]) + ": " + esc(r[1].join("; ")) + "</li>";
        }).join("") + "</ul></section>";
    }
    html += '<section aria-labelledby="h-res"><h2 id="h-res">' + esc(W.results) + "</h2>" + res + "</section>";
    html += '<p class="data">' + esc(W.download) + ': <a href="' + esc(files + doc.district[0] + ".json") + '" download>JSON</a></p>';
    root.innerHTML = html;
  }

  if (!sid) { fail(W.not_found); return; }
  var district = params.get("d");
  var found = district ? Promise.resolve(district) : fetchJSON(files + "index.json").then(function (ix) {
    return ix.stations[sid];
  });
  found.then(function (d) {
    if (!d || !/^[A-Za-z0-9._-]+$/.test(d)) { throw new Error("no district"); }
    return fetchJSON(files + encodeURIComponent(d) + ".json");
  }).then(draw).catch(function () { fail(W.not_found); });
})();
