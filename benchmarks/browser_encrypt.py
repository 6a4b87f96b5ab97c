"""The voting page's encrypt-and-seal time per ballot, in Debian's Chromium (headless, Playwright).

The page's own protocol module (src/achyk/web/static/evoting.js) and vendored bundle are served to
the browser from the package directory through Playwright's request routing (no server, no
network); the browser encrypts, proves and seals `ballots` ballots after a warm-up, timed with
performance.now(). Returns None when Chromium is not installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
STATIC = Path(__file__).resolve().parents[1] / "src/achyk/web/static"
ORIGIN = "http://achyk.bench"

_TIMED = """async ([params, choices, seedHex, warm, n]) => {
    const E = await import("/static/evoting.js");
    const seed = E.unhex(seedHex);
    const one = () => E.castSubmission(params, E.encryptBallot(params, choices), seed, 1);
    for (let i = 0; i < warm; i++) one();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) one();
    return (performance.now() - t0) / n / 1000;
}"""


def browser_encrypt_seconds(
    params: dict[str, Any], choices: dict[str, list[int]], seed: bytes, ballots: int
) -> float | None:
    """Seconds per ballot (encrypt, prove, seal with the credential) in Chromium."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import Route, sync_playwright

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(body="<!doctype html><title>bench</title>", content_type="text/html")
            return
        name = path.removeprefix("/static/")
        file = (STATIC / name).resolve()
        if not file.is_relative_to(STATIC) or not file.is_file():
            route.fulfill(status=404, body="")
            return
        route.fulfill(body=file.read_bytes(), content_type="text/javascript")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/")
        seconds: float = page.evaluate(_TIMED, [params, choices, seed.hex(), 3, ballots])
        browser.close()
    return seconds
