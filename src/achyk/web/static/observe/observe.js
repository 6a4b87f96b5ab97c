// The observer's phone page. Everything the observer signs is signed here, with the observer's own
// Ed25519 key, over exactly the bytes the server checks (purpose "\n" RFC 8785 JSON, as
// src/achyk/signing.py); the form's content and photos are sealed to the mission's key. Each signed
// item waits in IndexedDB until the network answers; the server answers a resent item with its
// first log entry, so an item sent twice (the signal dropped before the answer came) counts once.
"use strict";
(function () {
  const N = window.NobleObserver;
  const DATA = JSON.parse(document.getElementById("observe-data").textContent);
  const T = (k) => DATA.ui[k] || k;
  const API = document.body.dataset.api;
  const enc = new TextEncoder();
  const PURPOSES = {
    "observation": "achyk/observation/v1",
    "protocol-copy": "achyk/protocol-copy/v1",
    "station-change": "achyk/station-change/v1",
  };
  const SEAL = "achyk/mission-inbox/v1";
  const $ = (id) => document.getElementById(id);

  // ---- bytes -------------------------------------------------------------------------------
  function b64(bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }
  function unb64(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  // RFC 8785 for the values a form holds (objects, arrays, strings, integers, booleans, null):
  // keys sorted by UTF-16 code units (JavaScript's own string order), strings as JSON.stringify.
  function jcs(v) {
    if (v === null || typeof v === "boolean") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new Error("only whole numbers are signed");
      return String(v);
    }
    if (typeof v === "string") return JSON.stringify(v);
    if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  }
  const sha256hex = (bytes) => hex(N.sha256(bytes));

  // ---- IndexedDB: the key and the queue ---------------------------------------------------
  let dbp = null;
  function db() {
    if (!dbp) {
      dbp = new Promise((resolve, reject) => {
        const r = indexedDB.open("achyk-observer-" + DATA.election, 1);
        r.onupgradeneeded = () => {
          r.result.createObjectStore("key");
          r.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
        };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    }
    return dbp;
  }
  async function tx(store, mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      const req = fn(t.objectStore(store));
      t.oncomplete = () => resolve(req && req.result);
      t.onerror = () => reject(t.error);
    });
  }
  const getKey = () => tx("key", "readonly", (s) => s.get("me"));
  const putKey = (k) => tx("key", "readwrite", (s) => s.put(k, "me"));
  const dropKey = () => tx("key", "readwrite", (s) => s.delete("me"));
  const allItems = () => tx("queue", "readonly", (s) => s.getAll());
  const putItem = (item) => tx("queue", "readwrite", (s) => s.put(item));

  // ---- the observer's key ------------------------------------------------------------------
  // PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>, the key ID SHA-256(name "\n" 0x01 pub)[:4].
  function parseKey(text) {
    // Split at the first four "+" only: base64 has "+" of its own.
    const all = text.trim().split("+");
    const parts = all.slice(0, 4).concat([all.slice(4).join("+")]);
    if (all.length < 5 || parts[0] !== "PRIVATE" || parts[1] !== "KEY") throw new Error(T("Not a key file."));
    let raw;
    try { raw = unb64(parts[4]); } catch (e) { throw new Error(T("Not a key file.")); }
    if (raw.length !== 33 || raw[0] !== 1) throw new Error(T("Not a key file."));
    const seed = raw.slice(1);
    const pub = N.ed25519.getPublicKey(seed);
    const id = hex(N.sha256(concat(enc.encode(parts[2] + "\n"), new Uint8Array([1]), pub)).slice(0, 4));
    if (id !== parts[3]) throw new Error(T("Not a key file."));
    const who = DATA.observers.find((o) => o.public_key === b64(pub));
    if (!who) throw new Error(T("This key is not the key of a registered observer."));
    return { seed: seed, public_key: b64(pub), mission: who.mission, observer: who.observer, team: who.team };
  }
  let me = null;

  function signed(kind, fields) {
    const msg = enc.encode(PURPOSES[kind] + "\n" + jcs(fields));
    return Object.assign({}, fields, { signature: b64(N.ed25519.sign(msg, me.seed)) });
  }

  // Sealed to the mission: X25519 with the mission's Ed25519 key mapped to Montgomery form,
  // HKDF-SHA256, AES-256-GCM (src/achyk/observers/sealing.py opens it).
  async function seal(missionKey, plaintext) {
    const mission = N.ed25519.utils.toMontgomery(unb64(missionKey));
    const eph = N.x25519.utils.randomSecretKey();
    const ephPub = N.x25519.getPublicKey(eph);
    const shared = N.x25519.getSharedSecret(eph, mission);
    const key = N.hkdf(N.sha256, shared, concat(ephPub, mission), enc.encode(SEAL), 32);
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
    const box = new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: enc.encode(SEAL) }, aes, plaintext));
    return concat(ephPub, nonce, box);
  }

  // ---- the form, from the forms-as-data definitions -----------------------------------------
  const SPECIAL = [["protocol-copy", T("Protocol copy")], ["station-change", T("Change of station")]];
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) e.append(c);
    return e;
  }
  function question(q) {
    const name = "q-" + q.id;
    if (q.kind === "yes-no" || (q.kind === "choice" && q.choices.length <= 4)) {
      const opts = q.kind === "yes-no" ? [["true", T("Yes")], ["false", T("No")]] : q.choices;
      const fs = el("fieldset", { class: q.kind === "yes-no" ? "yn" : "choice", "data-q": q.id },
        el("legend", {}, q.label));
      for (const [value, label] of opts) {
        fs.append(el("label", {}, el("input", { type: "radio", name: name, value: value }), label));
      }
      return fs;
    }
    const wrap = el("div", { "data-q": q.id }, el("label", { for: name }, q.label));
    if (q.kind === "choice") {
      const s = el("select", { id: name, name: name }, el("option", { value: "" }, "—"));
      for (const [value, label] of q.choices) s.append(el("option", { value: value }, label));
      wrap.append(s);
    } else if (q.kind === "text") {
      wrap.append(el("textarea", { id: name, name: name, rows: 3, maxlength: 5000 }));
    } else if (q.kind === "time") {
      wrap.append(el("input", { id: name, name: name, type: "time" }));
    } else {
      wrap.append(el("input", { id: name, name: name, type: "number", min: 0, step: 1, inputmode: "numeric" }));
    }
    return wrap;
  }
  function numberField(id, label) {
    return el("div", { "data-q": id }, el("label", { for: "q-" + id }, label),
      el("input", { id: "q-" + id, name: "q-" + id, type: "number", min: 0, step: 1, inputmode: "numeric" }));
  }
  function render() {
    const kind = $("form-kind").value;
    const box = $("questions");
    box.replaceChildren();
    $("photo-row").hidden = !(kind === "incident" || kind === "protocol-copy");
    if (kind === "protocol-copy") {
      const s = el("select", { id: "q-contest", name: "q-contest" });
      for (const c of DATA.contests) s.append(el("option", { value: c.id }, c.name));
      box.append(el("div", { "data-q": "contest" }, el("label", { for: "q-contest" }, T("Contest")), s));
      for (const [id, label] of DATA.copy_lines) box.append(numberField(id, label));
      const votes = el("div", { id: "votes" });
      box.append(votes);
      const fill = () => {
        const c = DATA.contests.find((x) => x.id === s.value);
        votes.replaceChildren(el("h3", {}, T("Votes")));
        for (const [id, name] of c.options) votes.append(numberField("vote-" + id, name));
      };
      s.addEventListener("change", fill);
      fill();
    } else if (kind === "station-change") {
      box.append(el("div", { "data-q": "to" }, el("label", { for: "q-to" }, T("To station")),
        el("input", { id: "q-to", name: "q-to", list: "stations", inputmode: "numeric" })));
      box.append(el("div", { "data-q": "reason" }, el("label", { for: "q-reason" }, T("Reason")),
        el("textarea", { id: "q-reason", name: "q-reason", rows: 3, maxlength: 500 })));
    } else {
      for (const q of formOf(kind).questions) box.append(question(q));
    }
    runChecks();
  }
  const formOf = (id) => DATA.forms.find((f) => f.id === id && (!f.mission || (me && f.mission === me.mission)));
  function value(id) {
    const checked = document.querySelector(`input[name="q-${id}"]:checked`);
    if (checked) return checked.value;
    const e = document.querySelector(`[name="q-${id}"]:not([type=radio])`);
    return e ? e.value.trim() : "";
  }
  function answers(form) {
    const out = {};
    let missing = null;
    for (const q of form.questions) {
      const v = value(q.id);
      const where = document.querySelector(`[data-q="${q.id}"]`);
      where.classList.remove("invalid");
      if (v === "") {
        if (q.required && !missing) missing = where;
        if (q.required) where.classList.add("invalid");
        continue;
      }
      if (q.kind === "yes-no") out[q.id] = v === "true";
      else if (q.kind === "number") out[q.id] = parseInt(v, 10);
      else out[q.id] = v;
    }
    return [out, missing];
  }
  // The quality checks of the form definition (ballots found ≤ issued …): shown, never blocking —
  // what the observer writes is evidence either way.
  function runChecks() {
    const box = $("checks");
    box.replaceChildren();
    const form = formOf($("form-kind").value);
    if (!form) return;
    for (const [left, right, message] of form.checks) {
      const a = parseInt(value(left), 10), b = parseInt(value(right), 10);
      if (Number.isInteger(a) && Number.isInteger(b) && a > b) {
        box.append(el("p", { "data-check": left + ">" + right }, T("Quality check") + ": " + message));
      }
    }
  }

  async function photoOf() {
    const file = $("photo").files[0];
    if (!file || $("photo-row").hidden) return null;
    const bytes = new Uint8Array(await file.arrayBuffer());
    return { sha256: sha256hex(bytes), media_type: file.type || "image/jpeg", data: b64(bytes) };
  }

  async function submit(ev) {
    ev.preventDefault();
    $("form-error").textContent = "";
    const kind = $("form-kind").value;
    const station = $("station").value.trim();
    if (!DATA.stations.includes(station)) {
      $("station").classList.add("invalid");
      $("form-error").textContent = T("Station") + ": " + T("Answer this question.");
      return;
    }
    $("station").classList.remove("invalid");
    const at = new Date().toISOString();
    const base = { mission: me.mission, observer: me.observer };
    const photo = await photoOf();
    let item;
    if (kind === "station-change") {
      const to = value("to"), reason = value("reason");
      if (!DATA.stations.includes(to) || to === station || !reason) {
        $("form-error").textContent = T("Answer this question.");
        return;
      }
      item = { kind: kind, label: `${T("Change of station")} · ${station} → ${to}`,
               envelope: signed(kind, Object.assign(base, { from: station, to: to, reason: reason, at: at })) };
    } else if (kind === "protocol-copy") {
      const contest = DATA.contests.find((c) => c.id === value("contest"));
      const figures = { votes: {} };
      const blank = [];
      for (const [id] of DATA.copy_lines) {
        const v = value(id);
        if (v === "") blank.push(id); else figures[id] = parseInt(v, 10);
      }
      for (const [id] of contest.options) {
        const v = value("vote-" + id);
        if (v === "") blank.push("vote-" + id); else figures.votes[id] = parseInt(v, 10);
      }
      if (blank.length) {
        document.querySelector(`[data-q="${blank[0]}"]`).classList.add("invalid");
        $("form-error").textContent = T("Answer this question.");
        return;
      }
      item = { kind: kind, label: `${T("Protocol copy")} · ${station}`, photo: !!photo,
               envelope: signed(kind, Object.assign(base, { station: station, contest: contest.id, at: at,
                                                          figures: figures, photo_sha256: photo ? photo.sha256 : null })) };
    } else {
      const form = formOf(kind);
      const [given, missing] = answers(form);
      if (missing) {
        $("form-error").textContent = T("Answer this question.");
        missing.scrollIntoView({ block: "center" });
        return;
      }
      const content = { answers: given, evidence: photo ? [photo.sha256] : [] };
      const digest = sha256hex(enc.encode(jcs(content)));
      item = { kind: "observation", label: `${form.name} · ${station}`, content: content, photo: !!photo,
               envelope: signed("observation", Object.assign(base, { station: station, form: kind, at: at,
                                                                    content_sha256: digest })) };
    }
    const plain = enc.encode(JSON.stringify({ kind: item.kind, envelope: item.envelope,
                                              content: item.content || null, photos: photo ? [photo] : [] }));
    item.sealed = await seal(DATA.missions[me.mission].public_key, plain);
    item.state = "waiting";
    item.created = at;
    delete item.content;
    await putItem(item);
    $("obs-form").reset();
    $("station").value = station;
    $("form-kind").value = kind;
    render();
    $("form-error").textContent = "";
    await showQueue();
    flush();
  }

  // ---- sending, once ----------------------------------------------------------------------
  let flushing = false;
  async function post(url, body, type) {
    const r = await fetch(url, { method: "POST", body: body, headers: { "Content-Type": type } });
    return [r.status, r.status < 500 ? await r.json().catch(() => null) : null];
  }
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (const item of await allItems()) {
        if (item.state !== "waiting") continue;
        try {
          const [status, body] = await post(`${API}/observers/${item.kind}`, JSON.stringify(item.envelope), "application/json");
          if (status === 422 && body) {
            item.state = "refused";
            item.answer = body[0].reasons.join("; ");
          } else if (status === 200 && body) {
            const [s2] = await post(`${API}/missions/${encodeURIComponent(item.envelope.mission)}/inbox`, item.sealed, "application/octet-stream");
            if (s2 !== 200) continue;
            item.state = "sent";
            item.answer = body[0].log_entry;
          } else {
            continue; // the server is not answering yet: try again later
          }
          await putItem(item);
        } catch (e) {
          break; // no network: everything stays queued
        }
      }
    } finally {
      flushing = false;
      await showQueue();
    }
  }

  async function showQueue() {
    const items = await allItems();
    $("queue").hidden = items.length === 0;
    const list = $("items");
    list.replaceChildren();
    for (const it of items.slice().reverse()) {
      const state = it.state === "sent" ? `${T("Sent: log entry")} ${it.answer}`
        : it.state === "refused" ? `${T("Refused")}: ${it.answer}` : T("Waiting to send");
      list.append(el("li", { "data-state": it.state, "data-kind": it.kind },
        el("span", { class: "state " + it.state }, state), " ", it.label, it.photo ? ` · ${T("Photo")}` : ""));
    }
  }
  function showNet() {
    const on = navigator.onLine;
    const net = $("net");
    net.className = "net " + (on ? "online" : "offline");
    net.textContent = on ? T("Online") : T("Offline") + ". " + T("What you sign waits on this phone and is sent once the network returns.");
  }

  // ---- start --------------------------------------------------------------------------------
  async function useKey(text) {
    $("key-error").textContent = "";
    try {
      me = parseKey(text);
    } catch (e) {
      $("key-error").textContent = e.message;
      return;
    }
    await putKey(me);
    $("key-text").value = "";
    showMe();
  }
  function showMe() {
    $("key-load").hidden = !!me;
    $("key-held").hidden = !me;
    $("fill").hidden = !me;
    if (!me) return;
    for (const o of $("form-kind").querySelectorAll("option[data-mission]")) o.hidden = o.disabled = o.dataset.mission !== me.mission;
    const m = DATA.missions[me.mission];
    $("whoami").textContent = `${T("Mission")}: ${m ? m.name : me.mission} · ${T("Observer")}: ${me.observer}` +
      (me.team ? ` · ${T("Team")}: ${me.team}` : "");
    const mine = ((DATA.plans[me.mission] || {})[me.team] || []);
    const list = $("stations");
    list.replaceChildren();
    for (const s of mine.concat(DATA.stations.filter((x) => !mine.includes(x)))) list.append(el("option", { value: s }));
    if (mine.length && !$("station").value) $("station").value = mine[0];
  }
  async function start() {
    const kinds = $("form-kind");
    // A mission's own forms (data-mission) are offered only to that mission's observers (showMe).
    for (const f of DATA.forms) kinds.append(el("option", f.mission ? { value: f.id, "data-mission": f.mission } : { value: f.id }, f.name));
    for (const [id, name] of SPECIAL) kinds.append(el("option", { value: id }, name));
    kinds.addEventListener("change", render);
    $("questions").addEventListener("input", runChecks);
    $("obs-form").addEventListener("submit", (ev) => { submit(ev).catch((e) => { $("form-error").textContent = String(e); }); });
    $("key-use").addEventListener("click", () => useKey($("key-text").value));
    $("key-file").addEventListener("change", async () => {
      const f = $("key-file").files[0];
      if (f) await useKey(await f.text());
    });
    $("key-forget").addEventListener("click", async () => { await dropKey(); me = null; showMe(); });
    window.addEventListener("online", () => { showNet(); flush(); });
    window.addEventListener("offline", showNet);
    render();
    showNet();
    me = (await getKey()) || null;
    showMe();
    await showQueue();
    flush();
    setInterval(() => { if (navigator.onLine) flush(); }, 3000);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(document.body.dataset.sw, { scope: "observe" }).catch(() => {});
    }
    document.body.dataset.ready = "1";
  }
  start();
})();
