"""The observer page's vendored cryptography: the committed bundle is the one `make
vendor-observer` builds from the pinned packages (its SHA-256 pinned here), and it computes what
the RFCs say — Ed25519 per RFC 8032 §7.1 TEST 1 and TEST 2, X25519 per RFC 7748 §6.1, SHA-256 of
"abc" per FIPS 180-2 appendix B.1 — and signs exactly what the server verifies."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from achyk.observers import signing as sig
from achyk.observers.model import OBSERVATION_PURPOSE, statement
from achyk.signing import private_key_from_seed, public_key_b64, verify

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "src/achyk/web/static/vendor/noble-observer.js"
BUNDLE_SHA256 = "365a9cf7aa57258052f863de117e9b01a1078c7ffdb65685397b33aefe9644ad"


def test_the_bundle_is_the_pinned_build() -> None:
    import hashlib

    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == BUNDLE_SHA256
    package = json.loads((ROOT / "web-vendor-observer/package.json").read_text())
    lock = json.loads((ROOT / "web-vendor-observer/package-lock.json").read_text())
    for name, version in {**package["dependencies"], **package["devDependencies"]}.items():
        assert version[0].isdigit(), f"{name} is pinned to an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert lock["packages"][f"node_modules/{name}"]["integrity"].startswith("sha512-")


def _node(script: str) -> dict[str, str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    prelude = f"{BUNDLE.read_text()}\nconst N = NobleObserver;\n" + (
        "const hex = (b) => Buffer.from(b).toString('hex');\n"
        "const unhex = (h) => new Uint8Array(Buffer.from(h, 'hex'));\n"
    )
    out = subprocess.run([node, "-e", prelude + script], capture_output=True, text=True, check=True)
    result: dict[str, str] = json.loads(out.stdout)
    return result


def test_the_bundle_computes_the_rfc_vectors() -> None:
    got = _node("""
      const sk1 = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
      const sk2 = unhex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
      const alice = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const bob = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
      console.log(JSON.stringify({
        pub1: hex(N.ed25519.getPublicKey(sk1)), sig1: hex(N.ed25519.sign(new Uint8Array(), sk1)),
        pub2: hex(N.ed25519.getPublicKey(sk2)), sig2: hex(N.ed25519.sign(unhex('72'), sk2)),
        alice: hex(N.x25519.getPublicKey(alice)), shared: hex(N.x25519.getSharedSecret(alice, N.x25519.getPublicKey(bob))),
        abc: hex(N.sha256(new TextEncoder().encode('abc'))),
      }));
    """)
    assert got == {
        "pub1": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "sig1": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        "pub2": "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "sig2": "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        "alice": "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        "shared": "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }


def test_the_page_signs_what_the_server_verifies() -> None:
    """The page's canonical bytes and signature (observe.js's jcs and signed), run in node on a
    form with Cyrillic, escapes and nested objects, verify in Python and equal Python's own."""
    key = private_key_from_seed(b"observer")
    page = (ROOT / "src/achyk/web/static/observe/observe.js").read_text()
    jcs = page[page.index("  function jcs(v)") : page.index("  const sha256hex")]
    fields = {"mission": "m", "observer": "o", "station": "1001", "form": "incident",
              "at": "2026-11-30T11:05:00.000Z",
              "content_sha256": sig.content_sha256({"answers": {"description": "Вброс \"ночью\"\n\t€",
                                                                "z": 1, "a": True}, "evidence": []})}  # fmt: skip
    seed = key.private_bytes_raw().hex()
    got = _node(
        jcs
        + f"""
      const fields = {json.dumps(fields, ensure_ascii=False)};
      const content = {{answers: {{z: 1, description: "Вброс \\"ночью\\"\\n\\t€", a: true}}, evidence: []}};
      const msg = new TextEncoder().encode("{OBSERVATION_PURPOSE}\\n" + jcs(fields));
      console.log(JSON.stringify({{
        content: hex(N.sha256(new TextEncoder().encode(jcs(content)))),
        signature: Buffer.from(N.ed25519.sign(msg, unhex('{seed}'))).toString('base64'),
      }}));
    """
    )
    assert got["content"] == fields["content_sha256"]
    envelope = {**fields, "signature": got["signature"]}
    verify(public_key_b64(key), OBSERVATION_PURPOSE, statement(envelope), got["signature"])
    assert got["signature"] == sig.signed(key, "observation", fields)["signature"]
