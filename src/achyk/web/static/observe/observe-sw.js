// The observer page's service worker: the page (in each language) and its scripts are kept on the
// phone, so the page opens with no signal. The page is fetched from the network when there is one
// (it carries the latest registrations and plans) and from the cache when there is none. Nothing
// the observer submits passes through here: POSTs go to the network, and the page's own queue
// (IndexedDB) holds them until it answers.
"use strict";
const VERSION = "__VERSION__";
const CACHE = "achyk-observe-" + VERSION;
const PAGES = __PAGES__;
const ASSETS = __ASSETS__;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(PAGES.concat(ASSETS))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("achyk-observe-") && k !== CACHE).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  const asset = ASSETS.some((a) => new URL(a, self.location).pathname === url.pathname);
  const page = url.pathname === new URL(PAGES[0], self.location).pathname;
  if (asset) {
    event.respondWith(caches.match(req, { ignoreSearch: true }).then((hit) => hit || fetch(req)));
  } else if (page) {
    event.respondWith(fetch(req).then((res) => {
      if (res.ok) {
        const copy = res.clone();
        caches.open(CACHE).then((c) => c.put(req, copy));
      }
      return res;
    }).catch(() => caches.match(req).then((hit) => hit || caches.match(PAGES[0]))));
  }
});
