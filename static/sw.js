// The service worker, served at /sw.js (scope "/") by webapp/pwa/views.py, which
// fills in CONFIG: the version (a hash of static/), the files to precache and URLs.
//
// Pages: network first, then the cached shell (the scanning screens work offline).
// Static files: cache first, from a cache named after the version.
// A new version installs and waits; a page asks it to take over (SKIP_WAITING)
// only when the outbox is empty.
/* global Outbox */
"use strict";

const CONFIG = {"version": "dev", "precache": [], "shell": "/offline/picking", "shells": [["/packing", "/offline/packing"]], "shellPages": ["/offline/picking", "/offline/packing"], "scans": "/api/v1/scans", "outbox": "/static/js/outbox.js", "manifest": "/static/manifest.webmanifest"};
const CACHE = "warehouse-" + CONFIG.version;
const NAVIGATION_TIMEOUT = 6000;  // dead Wi-Fi: show the shell rather than a spinner

importScripts(CONFIG.outbox);
Outbox.configure({ scans: CONFIG.scans });

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(CONFIG.precache.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })))));
  // No skipWaiting() here: a page decides when it is safe to switch.
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("warehouse-") && n !== CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
  // Everything else (the API, fragments) goes to the network untouched.
});

function isShellPage(url) {
  return CONFIG.shellPages.includes(url.pathname);
}

// The shell that stands in for a page: the packing screens' own, else the picking one.
function shellFor(url) {
  const match = (CONFIG.shells || []).find(([prefix]) =>
    url.pathname === prefix || url.pathname.startsWith(prefix + "/"));
  return match ? match[1] : CONFIG.shell;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

async function navigate(request, url) {
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT);
    // The server or its proxy is down: the scanning screens still work from the shell.
    if ([502, 503, 504].includes(response.status)) throw new Error("server down " + response.status);
    if (response.ok && !response.redirected && isShellPage(url)) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  } catch (error) {
    const cache = await caches.open(CACHE);
    const own = isShellPage(url) && await cache.match(url.pathname, { ignoreSearch: true, ignoreVary: true });
    const shell = own || await cache.match(shellFor(url), { ignoreSearch: true, ignoreVary: true });
    return shell || new Response("Offline, and the app is not stored on this device yet.",
      { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

// Background Sync: the browser wakes us when the network is back, even with the
// tab closed. Failing makes the browser try again later; the pages retry too.
self.addEventListener("sync", (event) => {
  if (event.tag !== "sync-scans") return;
  event.waitUntil(Outbox.send().then((result) => {
    if (result.status === "sent" || result.status === "idle" || result.status === "busy") return;
    throw new Error("scans still waiting: " + result.status);
  }));
});
