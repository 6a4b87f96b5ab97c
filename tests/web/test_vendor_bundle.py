"""The voting page's third-party code is the committed bundle `make vendor-js` builds from the
versions pinned in web-vendor/package-lock.json: a silent edit of the bundle, or a version moved
in package.json without a rebuild, fails here (CI needs no network: the bundle is committed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.store.database import Database

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src/achyk/web/static/vendor"
# Printed by `make vendor-js`; change it only together with a rebuild from the lock file.
BUNDLE_SHA256 = "79d5e5f0750d2d85c02535cee88b5f1171a1ed2b1fc42bb82410355ab890c5a3"
PINNED = {"@noble/curves": "2.4.0", "@noble/hashes": "2.4.0", "jsqr": "1.4.0", "esbuild": "0.28.2"}


def test_the_committed_bundle_is_the_recorded_build() -> None:
    data = (VENDOR / "achyk-vendor.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == BUNDLE_SHA256


def test_versions_are_pinned_exactly_in_package_json_and_the_lock() -> None:
    package = json.loads((ROOT / "web-vendor/package.json").read_text())
    lock = json.loads((ROOT / "web-vendor/package-lock.json").read_text())
    declared = package["dependencies"] | package["devDependencies"]
    assert declared == PINNED  # exact versions: no ranges
    for name, version in PINNED.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert lock["packages"][f"node_modules/{name}"]["integrity"].startswith("sha512-")


def test_the_licences_ship_beside_the_bundle() -> None:
    text = (VENDOR / "LICENSES.txt").read_text()
    assert text.count("The MIT License") == 2 and "Paul Miller" in text  # @noble/curves, hashes
    assert "Apache License" in text  # jsQR


def test_the_site_serves_the_bundle_and_nothing_else_from_vendor(tmp_path: Path) -> None:
    client = TestClient(create_app(db=Database.open(f"sqlite:///{tmp_path / 'a.db'}")))
    got = client.get("/static/vendor/achyk-vendor.js")
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == BUNDLE_SHA256
    assert got.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/vendor/LICENSES.txt").status_code == 200
    assert client.get("/static/vendor/..%2Froutes.py").status_code == 404
    assert client.get("/static/vendor/other.js").status_code == 404
