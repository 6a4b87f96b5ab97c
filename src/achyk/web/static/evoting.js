// The remote-voting protocol in the browser: the same bytes as the Python client
// (src/achyk/evoting/ballot.py, src/achyk/crypto/*), so `achyk verify` checks what this file makes.
//
// Curve arithmetic (secp256k1), Ed25519 and SHA-2 come from @noble/curves and @noble/hashes,
// bundled in ./vendor/achyk-vendor.js (make vendor-js); nothing here does field arithmetic.
// What is here is the protocol: canonical JSON (RFC 8785), the Fiat–Shamir hash, exponential
// ElGamal, the disjunctive (CDS) range proofs, the tracking code, the seals, the C2SP signed-note
// check of the log's checkpoint and the RFC 9162 inclusion proof. Each function names its Python
// twin; tests/browser/test_vote_page.py checks, with scripted randomness, that both produce the
// same submission byte for byte.

import { secp256k1, ed25519, sha256, sha512 } from "./vendor/achyk-vendor.js";

const Point = secp256k1.Point;
export const N = Point.Fn.ORDER; // the group order (crypto/group.py _N)
const G = Point.BASE;
const enc = new TextEncoder();

// --- bytes -------------------------------------------------------------------------------------

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function unhex(text, what) {
  if (typeof text !== "string" || text.length % 2 || !/^[0-9a-f]*$/.test(text)) {
    throw new Error(`${what || "value"}: not lowercase hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(text) {
  const s = atob(text);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const bigOf = (bytes) => (bytes.length ? BigInt("0x" + hex(bytes)) : 0n);
const mod = (a) => ((a % N) + N) % N;

/** A scalar as 32 big-endian bytes (hashing.scalar_hex). */
export function scalarBytes(k) {
  return unhex(mod(k).toString(16).padStart(64, "0"));
}

export const scalarHex = (k) => hex(scalarBytes(k));

// --- canonical JSON (canonical.py): RFC 8785 for strings, safe integers, arrays, objects -------

export function canonicalJson(value) {
  return enc.encode(canon(value));
}

function canon(v) {
  if (v === null || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v); // JCS escapes as ECMAScript does
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error("only safe integers are canonical here");
    return String(v);
  }
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (typeof v === "object") {
    // Default sort compares UTF-16 code units: exactly JCS's key order.
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  }
  throw new Error(`not a JSON value: ${typeof v}`);
}

// --- the group (crypto/group.py): 33-byte compressed points, 0x00 for the identity ---------------

export function encodePoint(p) {
  return p.is0() ? new Uint8Array([0]) : p.toBytes(true);
}

export const pointHex = (p) => hex(encodePoint(p));

export function parsePoint(text, allowIdentity) {
  const raw = unhex(text, "element");
  if (raw.length === 1 && raw[0] === 0) {
    if (allowIdentity) return Point.ZERO;
    throw new Error("the identity element is not allowed here");
  }
  if (raw.length !== 33 || (raw[0] !== 2 && raw[0] !== 3)) throw new Error("not a compressed secp256k1 point");
  return Point.fromBytes(raw); // validates: on the curve (cofactor 1: in the group)
}

/** k·P for any scalar, 0 included (noble's multiply refuses 0). */
function mul(p, k) {
  k = mod(k);
  return k === 0n || p.is0() ? Point.ZERO : p.multiply(k);
}

const baseMul = (k) => mul(G, k);

// --- randomness (group.random_scalar, credentials.new_seed) --------------------------------------

/** The OS's randomness, as Python's secrets.SystemRandom: randrange(lo, hi) uniform. */
export const systemRandom = {
  randrange(lo, hi) {
    const span = hi - lo;
    const bytes = new Uint8Array(64); // 512 bits reduced mod < 2^257: bias below 2^-255
    crypto.getRandomValues(bytes);
    return lo + (bigOf(bytes) % span);
  },
};

/** Deterministic randomness for the cross-check with Python only (tests/evoting_scripted.py
 * implements the same sequence): value i = SHA-512(label ‖ i as 4 bytes) mod span + lo. */
export function scriptedRandom(label) {
  let i = 0;
  return {
    randrange(lo, hi) {
      const counter = new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]);
      i += 1;
      return lo + (bigOf(sha512(concat(enc.encode(label), counter))) % (hi - lo));
    },
  };
}

const randomScalar = (rng) => rng.randrange(1n, N);
const newSeed = (rng) => unhex(rng.randrange(0n, 1n << 256n).toString(16).padStart(64, "0"));

// --- Fiat–Shamir (crypto/hashing.py challenge) ---------------------------------------------------

const FS_DOMAIN = enc.encode("achyk/fiat-shamir/v1");

function lp(bytes) {
  const n = bytes.length;
  return concat(new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]), bytes);
}

/** Items: a Point (its encoding), a bigint (32-byte scalar), a string (UTF-8) or bytes. */
export function challenge(tag, baseHash, items) {
  const parts = [FS_DOMAIN, lp(enc.encode(tag)), lp(enc.encode("secp256k1")), lp(enc.encode(baseHash))];
  for (const item of items) {
    if (item instanceof Point) parts.push(lp(encodePoint(item)));
    else if (typeof item === "bigint") parts.push(lp(scalarBytes(item)));
    else if (typeof item === "string") parts.push(lp(enc.encode(item)));
    else parts.push(lp(item));
  }
  return bigOf(sha512(concat(...parts))) % N;
}

// --- ElGamal and the range proof (crypto/elgamal.py, crypto/proofs.py range_prove) ---------------

/** Exponential ElGamal: (r·G, m·G + r·K). */
export function encrypt(K, m, r) {
  return { pad: baseMul(r), data: mul(K, r).add(baseMul(BigInt(m))) };
}

/** A CDS disjunction: the ciphertext encrypts some value in lo..hi, the true one being m.
 * The random draws come in Python's order (u for the true branch; c_j then w for a simulated
 * one), so scripted randomness gives identical proofs. */
function rangeProve(baseHash, K, ct, m, r, lo, hi, context, rng) {
  const commits = [], cs = [], vs = [];
  let u = 0n;
  for (let j = lo; j <= hi; j++) {
    if (j === m) {
      u = randomScalar(rng);
      commits.push(baseMul(u), mul(K, u));
      cs.push(0n); vs.push(0n);
    } else {
      // Simulated branch: a = w·G, b = w·K + c_j(j−m)·G with w = v − c_j·r (see proofs.py).
      const cj = randomScalar(rng), w = randomScalar(rng);
      commits.push(baseMul(w), mul(K, w).add(baseMul(cj * BigInt(j - m))));
      cs.push(cj); vs.push(mod(w + cj * r));
    }
  }
  const stmt = [K, ct.pad, ct.data, BigInt(lo), BigInt(hi), ...context];
  const c = challenge("range", baseHash, [...stmt, ...commits]);
  const k = m - lo;
  cs[k] = mod(c - cs.reduce((a, b) => a + b, 0n));
  vs[k] = mod(u + cs[k] * r);
  return { c: cs.map(scalarHex), v: vs.map(scalarHex) };
}

/** range_verify: recompute each branch's commitments and check they hash to Σc_j. */
function rangeVerify(baseHash, K, ct, proof, lo, hi, context) {
  const cs = proof.c.map((x) => bigOf(unhex(x))), vs = proof.v.map((x) => bigOf(unhex(x)));
  if (cs.length !== hi - lo + 1 || vs.length !== cs.length) return false;
  const commits = [];
  for (let j = lo; j <= hi; j++) {
    const cj = cs[j - lo], vj = vs[j - lo];
    commits.push(baseMul(vj).add(mul(ct.pad, -cj)));
    commits.push(mul(K, vj).add(mul(ct.data.add(baseMul(BigInt(-j))), -cj)));
  }
  const stmt = [K, ct.pad, ct.data, BigInt(lo), BigInt(hi), ...context];
  return mod(cs.reduce((a, b) => a + b, 0n)) === challenge("range", baseHash, [...stmt, ...commits]);
}

// --- ballots (evoting/ballot.py) -----------------------------------------------------------------

const keys = new Map();

/** The election key K, with noble's precomputed window table: every ballot multiplies K a few
 * times per option, and the table makes those multiplications as cheap as ones of G. */
function electionKey(text) {
  let K = keys.get(text);
  if (!K) {
    K = parsePoint(text, false);
    K.precompute(8, false);
    keys.set(text, K);
  }
  return K;
}

const SEAL_DOMAIN = enc.encode("achyk/ballot-seal/v2\n");

/** credentials.public_credential: hex Ed25519 public key of a 32-byte seed. */
export const publicCredential = (seed) => hex(ed25519.getPublicKey(seed));

/** encrypt_ballot: per option a 0/1 ciphertext and proof, per contest a min..max proof of the
 * sum, all bound to a fresh one-time ballot key. Knows nothing of cast-or-audit. */
export function encryptBallot(params, choices, rng = systemRandom) {
  const K = electionKey(params.public_key);
  const bh = params.base_hash;
  const keySeed = newSeed(rng);
  const ballotKey = publicCredential(keySeed);
  const contests = [], allChoices = [], allNonces = [];
  for (const rc of params.contests) {
    const marks = choices[rc.id] || rc.options.map(() => 0);
    const total = marks.reduce((a, b) => a + b, 0);
    if (marks.length !== rc.options.length || marks.some((m) => m !== 0 && m !== 1)) {
      throw new Error(`contest ${rc.id}: one 0/1 mark per option`);
    }
    if (total < rc.min_selections || total > rc.max_selections) {
      throw new Error(`contest ${rc.id}: ${total} selections outside the allowed range`);
    }
    const nonces = marks.map(() => randomScalar(rng));
    const cts = marks.map((m, i) => encrypt(K, m, nonces[i]));
    const proofs = cts.map((ct, i) => rangeProve(bh, K, ct, marks[i], nonces[i], 0, 1, ["option", ballotKey, rc.id, BigInt(i)], rng));
    const sum = { pad: cts.reduce((a, c) => a.add(c.pad), Point.ZERO), data: cts.reduce((a, c) => a.add(c.data), Point.ZERO) };
    const rSum = mod(nonces.reduce((a, b) => a + b, 0n));
    const sumProof = rangeProve(bh, K, sum, total, rSum, rc.min_selections, rc.max_selections, ["contest-sum", ballotKey, rc.id], rng);
    contests.push({
      id: rc.id,
      selections: cts.map((ct) => ({ pad: pointHex(ct.pad), data: pointHex(ct.data) })),
      proofs,
      sum_proof: sumProof,
    });
    allChoices.push(marks.slice());
    allNonces.push(nonces.map(scalarHex));
  }
  const ballot = { election: bh, ballot_key: ballotKey, contests };
  return { ballot, opening: { choices: allChoices, nonces: allNonces }, ballotKeySeed: keySeed };
}

/** tracking_code: hex SHA-256 of the canonical ballot body. */
export const trackingCode = (ballot) => hex(sha256(canonicalJson(ballot)));

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** short_code: the code's first 80 bits in base32, as ABCD-EFGH-IJKL-MNOP. */
export function shortCode(code) {
  const bytes = unhex(code).slice(0, 10);
  let bits = 0, value = 0, out = "";
  for (const b of bytes) {
    value = (value << 8) | b; bits += 8;
    while (bits >= 5) { bits -= 5; out += B32[(value >>> bits) & 31]; }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g).join("-");
}

/** seal_message: the domain line, then the canonical statement. */
export function sealMessage(baseHash, code, intent, credential, counter) {
  return concat(SEAL_DOMAIN, canonicalJson({ counter, credential, election: baseHash, intent, tracking_code: code }));
}

/** seal_cast + submission: the credential signs tracking code, counter, intent and election. */
export function castSubmission(params, prepared, seed, counter) {
  if (!Number.isSafeInteger(counter) || counter < 1) throw new Error("a cast ballot's counter is at least 1");
  const credential = publicCredential(seed);
  const msg = sealMessage(params.base_hash, trackingCode(prepared.ballot), "cast", credential, counter);
  return { ballot: prepared.ballot, intent: "cast", signature: b64(ed25519.sign(msg, seed)), credential, counter };
}

/** seal_audit + submission: the one-time ballot key signs; the opening is published; no credential. */
export function auditSubmission(params, prepared) {
  const msg = sealMessage(params.base_hash, trackingCode(prepared.ballot), "audit", "", 0);
  return { ballot: prepared.ballot, intent: "audit", signature: b64(ed25519.sign(msg, prepared.ballotKeySeed)), opening: prepared.opening };
}

/** verify_opening + verify_ballot's proofs: what anyone checks of an audited ballot. */
export function checkAudited(params, ballot, opening) {
  const K = parsePoint(params.public_key, false);
  return params.contests.every((rc, ci) => {
    const ec = ballot.contests[ci];
    return ec && ec.id === rc.id && ec.selections.every((s, i) => {
      const ct = { pad: parsePoint(s.pad, false), data: parsePoint(s.data, false) };
      const again = encrypt(K, opening.choices[ci][i], bigOf(unhex(opening.nonces[ci][i])));
      return again.pad.equals(ct.pad) && again.data.equals(ct.data) &&
        rangeVerify(params.base_hash, K, ct, ec.proofs[i], 0, 1, ["option", ballot.ballot_key, rc.id, BigInt(i)]);
    });
  });
}

/** The election fingerprint (ElectionParams.fingerprint): SHA-256 of the canonical parameters. */
export const fingerprint = (params) => hex(sha256(canonicalJson(params)));

/** As printed on the letter (short form) or in full hex (cli/vote.py fingerprint_matches). */
export function fingerprintMatches(given, full) {
  const t = given.trim();
  return t.toLowerCase() === full || t.toUpperCase() === shortCode(full);
}

// --- the log: C2SP signed note, checkpoint, RFC 9162 inclusion (ledger/note.py, merkle.py) -------

/** Parse a vkey `<name>+<key id>+<base64(0x01 ‖ key)>`, checking the key ID. */
export function parseVkey(vkey) {
  const first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
  if (first < 1 || second < 0) throw new Error("log key is not <name>+<id>+<key>");
  const name = vkey.slice(0, first), id = vkey.slice(first + 1, second);
  const raw = unb64(vkey.slice(second + 1));
  if (raw.length !== 33 || raw[0] !== 1) throw new Error("log key is not an Ed25519 key");
  const keyId = sha256(concat(enc.encode(name + "\n"), raw)).slice(0, 4);
  if (hex(keyId) !== id) throw new Error("log key: key ID does not match");
  return { name, keyId, publicKey: raw.slice(1) };
}

/** verify_checkpoint: the note's signature line by the log key must verify over its text;
 * returns {origin, size, root} of the signed text. */
export function verifyCheckpoint(note, vkey, origin) {
  const key = parseVkey(vkey);
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0) throw new Error("checkpoint: no signature block");
  const text = note.slice(0, cut + 1);
  let verified = false;
  for (const line of note.slice(cut + 2).split("\n").filter(Boolean)) {
    if (!line.startsWith("\u2014 ")) throw new Error("checkpoint: malformed signature line");
    const [name, sig64] = line.slice(2).split(" ");
    const raw = unb64(sig64);
    if (name !== key.name || !equalBytes(raw.slice(0, 4), key.keyId)) continue; // a witness's
    if (!ed25519.verify(raw.slice(4), enc.encode(text), key.publicKey)) throw new Error("checkpoint: the log's signature does not verify");
    verified = true;
  }
  if (!verified) throw new Error("checkpoint: not signed by the log key");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines[0] !== origin || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("checkpoint: not this log's");
  return { origin: lines[0], size: Number(lines[1]), root: unb64(lines[2]) };
}

export const leafHash = (bytes) => sha256(concat(new Uint8Array([0]), bytes));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

/** RFC 9162 §2.1.3.2: does `proof` take leaf `index` of a tree of `size` to `root`? */
export function verifyInclusion(leaf, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof.map((x) => unhex(x))) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

export { sha256 };
