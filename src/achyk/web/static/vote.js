// The voting page (templates/vote.html): letter → checked election → choice → tracking code →
// cast or audit. The protocol is in ./evoting.js; this file is the page around it.
//
// Order matters (Benaloh): the ballot is encrypted and its tracking code shown before the page
// knows whether it will be cast or audited. The credential seed lives in `state.seed` only; the
// server is sent the credential's PUBLIC key (to ask its next counter) and the sealed ballot.

import * as E from "./evoting.js";
import { jsQR } from "./vendor/achyk-vendor.js";

const root = document.getElementById("vote");
const M = JSON.parse(document.getElementById("vote-messages").textContent);
const api = root.dataset.api;
const $ = (id) => document.getElementById(id);
const field = (name) => root.querySelector(`[data-field="${name}"]`);
const say = (text, vars = {}) => text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
const QR_PREFIX = "achyk-credential:1:";

const rng = E.systemRandom; // the OS's randomness (crypto.getRandomValues)

const state = { seed: null, params: null, definition: null, prepared: null, lastCounter: 0 };

function show(step) {
  for (const id of ["step-checked", "step-choose", "step-decide", "step-done"]) {
    if (id === step || (id === "step-checked" && step !== null)) $(id).hidden = false;
  }
  for (const id of ["step-choose", "step-decide", "step-done"]) $(id).hidden = id !== step;
  if (step) {
    const h = $(step).querySelector("h2");
    h.focus();
    h.scrollIntoView({ block: "start" });
  }
}

function fail(text, err) {
  if (err) console.error(err); // the detail, for whoever debugs the page
  busy("");
  const box = $("vote-error");
  box.textContent = text;
  box.hidden = false;
}

function busy(text) {
  $("vote-busy").textContent = text;
  if (text) $("vote-error").hidden = true;
}

/** fetch() rejects with a TypeError when the server cannot be reached. */
const offline = (err) => err instanceof TypeError && /fetch|network/i.test(err.message);

async function getJson(path) {
  // no-store: the counter and the checkpoint move; a cached answer would be a stale one.
  const r = await fetch(api + path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function getText(path) {
  const r = await fetch(api + path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.text();
}

/** Read the letter: the seed (64 hex, spaces allowed) or a whole QR payload. */
function readSeed(text) {
  let t = text.trim();
  if (t.startsWith(QR_PREFIX)) {
    const [election, fp, seed] = t.slice(QR_PREFIX.length).split(":");
    if (election !== root.dataset.election) throw new Error(M.qr_other_election);
    if (!$("fingerprint").value.trim()) $("fingerprint").value = fp;
    t = seed || "";
  }
  t = t.replace(/\s+/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(t)) throw new Error(M.bad_credential);
  return E.unhex(t);
}

/** The log entry `index`, proven included under the signed checkpoint `cp`. */
async function provenEntry(index, cp) {
  const entry = await getJson(`/log/entries/${index}`);
  const proof = await getJson(`/log/proof/inclusion?index=${index}&size=${cp.size}`);
  if (!E.verifyInclusion(E.leafHash(E.canonicalJson(entry)), index, cp.size, proof.proof, cp.root)) {
    throw new Error(`log entry ${index} is not in the signed log`);
  }
  return entry;
}

/** The checks before anything is encrypted: the checkpoint's signature by the log key; the
 * remote-params entry and the definition entry (entry 0) in the signed tree; the definition
 * document hashing to the definition entry and the parameters' base hash; and the parameters'
 * fingerprint equal to the letter's. The parameters used are the log's, not the API's. */
async function checkElection() {
  const given = $("fingerprint").value;
  const doc = await getJson("/remote/parameters");
  const cp = E.verifyCheckpoint(await getText("/log/checkpoint"), root.dataset.logKey, root.dataset.origin);
  const entry = await provenEntry(doc.log_index, cp);
  if (entry.kind !== "remote-params") throw new Error(`log entry ${doc.log_index} is not the remote parameters`);
  const first = await provenEntry(0, cp);
  const defText = await getText("/definition.json");
  const defHash = E.hex(E.sha256(new TextEncoder().encode(defText)));
  const params = entry.params;
  if (first.kind !== "definition" || first.definition_sha256 !== defHash || params.base_hash !== defHash) {
    throw new Error("the definition does not hash to the one the log and the parameters name");
  }
  const fp = E.fingerprint(params);
  if (!E.fingerprintMatches(given, fp)) {
    const err = new Error(say(M.fingerprint_differs, { actual: E.shortCode(fp) }));
    err.refusal = true;
    throw err;
  }
  field("fingerprint").textContent = E.shortCode(fp);
  field("log_key").textContent = root.dataset.logKey;
  field("checkpoint").textContent = say(M.checkpoint, { size: cp.size, root: E.hex(cp.root).slice(0, 16) + "…" });
  field("definition").textContent = defHash;
  state.params = params;
  state.definition = JSON.parse(defText);
  if (doc.closed) throw new Error(M.closed); // checked, but too late to vote
}

function optionName(contestId, optionId) {
  if (optionId === "against-all") return M.against_all;
  const c = (state.definition.contests || []).find((x) => x.id === contestId);
  const o = c && (c.parties || c.candidates || []).find((x) => x.id === optionId);
  return o ? o.name : optionId;
}

function buildBallot() {
  const box = $("contests");
  box.textContent = "";
  for (const rc of state.params.contests) {
    const fs = document.createElement("fieldset");
    const legend = document.createElement("legend");
    const c = (state.definition.contests || []).find((x) => x.id === rc.id);
    const one = rc.min_selections === 1 && rc.max_selections === 1;
    legend.textContent = `${c ? c.name : rc.id} — ${one ? M.pick_one : say(M.pick_range, { min: rc.min_selections, max: rc.max_selections })}`;
    fs.append(legend);
    rc.options.forEach((opt, i) => {
      const label = document.createElement("label");
      label.className = "option";
      const input = document.createElement("input");
      input.type = one ? "radio" : "checkbox";
      input.name = `c-${rc.id}`;
      input.value = String(i);
      input.dataset.option = opt;
      label.append(input, " ", optionName(rc.id, opt));
      fs.append(label);
    });
    box.append(fs);
  }
}

/** The marks per contest; a contest with too few or too many marks is named, in the page's
 * language, before anything is encrypted. */
function readChoices() {
  const out = {};
  for (const rc of state.params.contests) {
    out[rc.id] = rc.options.map((_, i) => (root.querySelector(`input[name="c-${rc.id}"][value="${i}"]`).checked ? 1 : 0));
    const n = out[rc.id].reduce((a, b) => a + b, 0);
    if (n < rc.min_selections || n > rc.max_selections) {
      const legend = root.querySelector(`input[name="c-${rc.id}"]`).closest("fieldset").querySelector("legend");
      throw new Error(legend.textContent);
    }
  }
  return out;
}

async function send(body) {
  const r = await fetch(api + "/remote/ballots", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  const receipt = await r.json().catch(() => ({}));
  if (r.status !== 201 || !receipt.accepted) throw new Error(say(M.refused, { why: receipt.reason || receipt.detail || r.status }));
  return receipt;
}

function finish(kind, receipt, counter) {
  const code = receipt.tracking_code;
  $("h-done").textContent = kind === "cast" ? M.cast_title : M.audit_title;
  field("done").textContent = say(kind === "cast" ? M.cast_done : M.audit_done, { entry: receipt.log_entry, counter });
  field("done_code").textContent = E.shortCode(code);
  field("track_link").href = `${root.dataset.track}?code=${encodeURIComponent(E.shortCode(code))}`;
  $("opening").hidden = kind !== "audit";
  if (kind === "audit") {
    const { ballot, opening } = state.prepared;
    field("opening_ok").textContent = E.checkAudited(state.params, ballot, opening) ? M.opening_ok : M.opening_bad;
    const list = field("opened_choices");
    list.textContent = "";
    state.params.contests.forEach((rc, ci) => {
      const picked = rc.options.filter((_, i) => opening.choices[ci][i] === 1).map((o) => optionName(rc.id, o));
      const li = document.createElement("li");
      li.textContent = picked.join(", ") || "—";
      list.append(li);
    });
    field("opening").textContent = JSON.stringify(opening);
  }
  busy("");
  show("step-done");
  state.prepared = null; // a ballot is sealed once
}

$("check").addEventListener("click", async () => {
  try {
    if (!$("fingerprint").value.trim() && !$("credential").value.trim().startsWith(QR_PREFIX)) throw new Error(M.bad_fingerprint);
    state.seed = readSeed($("credential").value);
    busy(M.checking);
    await checkElection();
    buildBallot();
    $("credential").value = ""; // checked: from here on the seed is in memory only
    $("step-letter").hidden = true;
    busy("");
    show("step-choose");
  } catch (err) {
    state.seed = null;
    if (err.message === M.closed) { // what was checked still stands; the seed is not needed
      $("credential").value = "";
      show("step-checked");
    }
    if (offline(err)) fail(M.network, err);
    else if (err.refusal || Object.values(M).includes(err.message)) fail(err.message, err);
    else fail(say(M.log_failed, { why: err.message }), err);
  }
});

/** The credential QR code in an image or video frame, or null. */
function qrIn(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  const found = jsQR(ctx.getImageData(0, 0, width, height).data, width, height);
  return found && found.data.startsWith(QR_PREFIX) ? found.data : null;
}

/** A QR payload read: check its election, fill the letter's fields (the seed stays in the form
 * until the election checks out, as a typed one would). */
function useQr(payload) {
  readSeed(payload); // throws for another election; fills the fingerprint
  $("credential").value = payload;
  $("vote-error").hidden = true;
}

$("qr").addEventListener("change", async (ev) => {
  const file = ev.target.files && ev.target.files[0];
  if (!file) return;
  try {
    const bitmap = await createImageBitmap(file);
    const payload = qrIn(bitmap, bitmap.width, bitmap.height);
    if (!payload) throw new Error(M.qr_unreadable);
    useQr(payload);
  } catch (err) {
    fail(err.message === M.qr_other_election ? err.message : M.qr_unreadable, err);
  }
});

// The camera, read a few times a second until a credential QR code shows; then it is closed.
$("scan").addEventListener("click", async () => {
  const video = $("camera");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (err) {
    fail(M.camera_unavailable, err);
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const stop = () => { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; video.srcObject = null; };
  const look = () => {
    if (!video.srcObject) return;
    const payload = video.videoWidth ? qrIn(video, video.videoWidth, video.videoHeight) : null;
    if (!payload) { setTimeout(look, 250); return; }
    stop();
    try { useQr(payload); } catch (err) { fail(err.message, err); }
  };
  look();
});

$("ballot-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy(M.encrypting);
  // Let the status paint before the (synchronous) encryption.
  setTimeout(() => {
    try {
      state.prepared = E.encryptBallot(state.params, readChoices(), rng);
      const code = E.trackingCode(state.prepared.ballot);
      field("short_code").textContent = E.shortCode(code);
      field("tracking_code").textContent = code;
      busy("");
      show("step-decide");
    } catch (err) {
      fail(err.message);
    }
  }, 30);
});

$("cast").addEventListener("click", async () => {
  if (!state.prepared) return;
  try {
    busy(M.sending);
    const cred = E.publicCredential(state.seed);
    // The server says the least counter; this page also remembers its own last one, so a
    // server that answers low cannot make the page reuse a counter (it would be refused anyway).
    const { next_counter: told } = await getJson(`/remote/counter/${cred}`);
    const counter = Math.max(told, state.lastCounter + 1);
    const receipt = await send(E.castSubmission(state.params, state.prepared, state.seed, counter));
    state.lastCounter = counter;
    finish("cast", receipt, counter);
  } catch (err) {
    fail(offline(err) || err.message.includes("HTTP") ? M.network : err.message, err);
  }
});

$("audit").addEventListener("click", async () => {
  if (!state.prepared) return;
  try {
    busy(M.sending);
    finish("audit", await send(E.auditSubmission(state.params, state.prepared)), 0);
  } catch (err) {
    fail(offline(err) || err.message.includes("HTTP") ? M.network : err.message, err);
  }
});

$("again").addEventListener("click", () => {
  for (const input of root.querySelectorAll("#contests input")) input.checked = false;
  show("step-choose");
});
