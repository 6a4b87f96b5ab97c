// Tracking-code lookup on the published (static) site: the same facts as the live site's page,
// read from the board files the export wrote. The code's first hex characters name the one small
// file to fetch; a code that is not in it is not on the board. No framework, no build step.
(function () {
  "use strict";
  var form = document.getElementById("track-form");
  if (!form || !window.fetch || !form.getAttribute("data-board")) { return; }
  var board = form.getAttribute("data-board");
  var chars = Number(form.getAttribute("data-prefix-chars")) || 1;
  var input = document.getElementById("code");
  var found = document.getElementById("track-found");
  var missing = document.getElementById("track-missing");
  var failed = document.getElementById("track-failed");
  var B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  // A full tracking code (64 hex) as it is, or the short form ABCD-EFGH-IJKL-MNOP (the code's
  // first 80 bits in base32) as its 20 hex characters; null for anything else.
  function prefixOf(text) {
    var t = text.trim();
    if (t.length === 64) { return /^[0-9a-fA-F]{64}$/.test(t) ? t.toLowerCase() : null; }
    var letters = t.replace(/[- ]/g, "").toUpperCase();
    if (!/^[A-Z2-7]{16}$/.test(letters)) { return null; }
    var hex = "", bits = 0, value = 0;
    for (var i = 0; i < letters.length; i++) {
      value = ((value << 5) | B32.indexOf(letters.charAt(i))) & 0xff;
      bits += 5;
      while (bits >= 4) { bits -= 4; hex += ((value >> bits) & 15).toString(16); }
    }
    return hex;
  }

  function field(name) { return found.querySelector('[data-field="' + name + '"]'); }

  function show(state, file, ballot) {
    found.hidden = state !== "found";
    missing.hidden = state !== "missing";
    failed.hidden = state !== "failed";
    if (state !== "found") { return; }
    ["short_code", "tracking_code", "log_index", "seq"].forEach(function (f) {
      field(f).textContent = String(ballot[f]);
    });
    var status = field("status");
    status.textContent = status.getAttribute("data-" + (ballot.standing || "cast"));
    field("tree_size").textContent = String(file.tree_size);
    field("root").textContent = file.root;
    field("inclusion_proof").textContent = ballot.inclusion_proof.join("\n");
    field("entry").textContent = ballot.entry;
    document.getElementById("h-found").focus();
  }

  function lookUp(code) {
    var prefix = prefixOf(code);
    if (!prefix) { show(code.trim() ? "missing" : "none"); return; }
    fetch(board + prefix.slice(0, chars) + ".json").then(function (r) {
      if (r.status === 404) { return null; }
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    }).then(function (file) {
      var hits = file ? file.ballots.filter(function (b) {
        return b.tracking_code.slice(0, prefix.length) === prefix;
      }) : [];
      // as on the live site: exactly one ballot, else not found (a short code could be ambiguous)
      if (hits.length === 1) { show("found", file, hits[0]); } else { show("missing"); }
    }).catch(function () { show("failed"); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value;
    var url = new URL(window.location.href);
    url.searchParams.set("code", code.trim());
    window.history.replaceState(null, "", url.toString());
    lookUp(code);
  });
  var initial = new URL(window.location.href).searchParams.get("code");
  if (initial) { input.value = initial; lookUp(initial); }
})();
