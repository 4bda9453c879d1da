// Every page: the service worker and its updates, the waiting-scan count in the
// header, and sending the outbox (on load, when the network returns, on a timer
// with backoff, and through Background Sync where the browser has it).
(function () {
  "use strict";

  var config = readJson("pwa-config") || { strings: {} };
  var strings = config.strings || {};
  var MIN_DELAY = 1000, MAX_DELAY = 60000;
  var attempt = 0, timer = null, running = null, again = false, reloading = false;

  function readJson(id) {
    var el = document.getElementById(id);
    try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; }
  }

  // "%(n)d waiting" + {n: 3} -> "3 waiting"
  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  // ------------------------------------------------------------ header status
  function showStatus() {
    var box = document.getElementById("sync-status");
    if (box) box.classList.toggle("offline", !navigator.onLine);
    return Promise.all([Outbox.counts(), Outbox.getMeta("lastSync")]).then(function (got) {
      var c = got[0], last = got[1] || {};
      var waiting = document.getElementById("sync-waiting");
      if (waiting) waiting.textContent = fmt(strings.waiting, { n: c.waiting });
      if (box) box.dataset.waiting = String(c.waiting);
      var problems = document.getElementById("sync-problems");
      if (problems) {
        problems.hidden = !c.problems;
        problems.textContent = c.problems ? "· " + fmt(strings.problems, { n: c.problems }) : "";
      }
      showAlert(c.waiting ? last.status : null);
      return c;
    }).catch(function () { /* no IndexedDB (private mode): nothing to show */ });
  }

  function showAlert(status) {
    var alert = document.getElementById("sync-alert");
    if (!alert) return;
    var text = { unauthorized: strings.unauthorized, signin: strings.signin, forbidden: strings.forbidden }[status];
    alert.hidden = !text;
    alert.textContent = text || "";
  }

  // ------------------------------------------------------------ sending
  // Send now; after a failure try again after 1 s, 2 s, 4 s ... 60 s, with jitter.
  function kick() {
    if (running) { again = true; return running; }
    clearTimeout(timer);
    running = Outbox.send().then(function (result) {
      running = null;
      var ok = result.status === "sent" || result.status === "idle";
      if (ok) attempt = 0;
      if (again) { again = false; return kick(); }
      return Outbox.counts().then(function (c) {
        if (!c.waiting) return result;
        if (ok) return kick();  // scans came in while we sent
        if (result.status === "busy") schedule(MIN_DELAY);  // another tab is sending them
        else { attempt++; schedule(backoff(attempt)); registerBackgroundSync(); }
        return result;
      });
    }, function () {
      running = null; attempt++; schedule(backoff(attempt));
    });
    return running;
  }

  function backoff(n) {
    var ceiling = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, n - 1));
    return ceiling / 2 + Math.random() * ceiling / 2;  // jitter: tabs and devices spread out
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(kick, ms);
  }

  function registerBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("sync-scans");
    }).catch(function () { /* not allowed here: the timer still sends */ });
  }

  // Called by the screens right after a scan is kept.
  function scanned() {
    askPersistence();
    registerBackgroundSync();
    showStatus();
    return kick();
  }

  function askPersistence() {
    if (!navigator.storage || !navigator.storage.persist) return;
    Outbox.getMeta("persistAsked").then(function (asked) {
      if (asked) return;
      return navigator.storage.persisted().then(function (already) {
        return already || navigator.storage.persist();
      }).then(function (granted) { return Outbox.setMeta("persistAsked", { at: Date.now(), granted: !!granted }); });
    }).catch(function () {});
  }

  // The page's sign-in, kept for sending without a device token (the worker too).
  // A shell page from the cache carries an old token: only a newer one replaces it.
  function rememberSession() {
    var token = csrfToken();
    if (!token || !config.userId) return Promise.resolve();
    return Outbox.getMeta("csrf").then(function (old) {
      if (old && old.at > config.renderedAt) return;
      return Outbox.setMeta("csrf", { token: token, at: config.renderedAt })
        .then(function () { return Outbox.setMeta("userId", config.userId); });
    });
  }

  // The server keeps who signed in on this device: a scan it sends must name one of
  // them. Each sign-in (marked by its time) is told once, before anything is sent.
  function recordSignIn() {
    if (!config.userId || !config.deviceSignIn) return Promise.resolve();
    return Outbox.getMeta("token").then(function (token) {
      var key = config.userId + "@" + (config.signedInAt || "") + "@" + token;
      if (!token) return;
      return Outbox.getMeta("signedIn").then(function (done) {
        if (done === key) return;
        return fetch(config.deviceSignIn, {
          method: "POST", credentials: "same-origin", cache: "no-store",
          headers: { Authorization: "Bearer " + token, "X-CSRFToken": csrfToken(), Accept: "application/json" }
        }).then(function (response) {
          if (response.ok) return Outbox.setMeta("signedIn", key);
        });
      });
    }).catch(function () { /* offline: told on the next page with the network */ });
  }

  // ------------------------------------------------------------ service worker
  function registerWorker() {
    if (!("serviceWorker" in navigator) || !config.sw) return;
    register();
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloading) reloadOnce();
    });
  }

  // An install fails when one file of the shell cannot be fetched (a Wi-Fi drop, a
  // server restarting): the browser then drops that worker and would try again only
  // on the next page. A handheld can stay on one screen for an hour, never ready for
  // a dead zone, so a failed first install is tried again here, a few times, spaced.
  var installTries = 0;
  function register() {
    navigator.serviceWorker.register(config.sw, { scope: "/", updateViaCache: "none" }).then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg);
      if (reg.installing) watchInstall(reg, reg.installing);
      reg.addEventListener("updatefound", function () {
        if (reg.installing) watchInstall(reg, reg.installing);
      });
    }).catch(function () { /* no worker (http on a LAN address): the pages still work online */ });
  }

  function watchInstall(reg, worker) {
    if (worker.watched) return;
    worker.watched = true;
    worker.addEventListener("statechange", function () {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(reg);
      if (worker.state === "redundant" && !reg.active && !reg.waiting && installTries < 5) {
        installTries += 1;
        setTimeout(register, 2000 * installTries);
      }
    });
  }

  function offerUpdate(reg) {
    var banner = document.getElementById("update-banner");
    if (!banner) return;
    banner.hidden = false;
    var button = document.getElementById("update-reload");
    button.onclick = function () { applyUpdate(reg, banner); };
  }

  // The new version takes over only when no scan waits and none is being sent. Once
  // asked, it is tried again at every drain and every few seconds until it is in
  // charge: a drain seen before we listened, or a newer worker installed meanwhile
  // (reg.waiting is another one then), must not leave the handheld on the old version.
  var updateAsked = false, tryingUpdate = false, reloaded = false;
  function applyUpdate(reg, banner) {
    if (updateAsked) return;
    updateAsked = true;
    window.addEventListener("outbox:drained", function () { tryUpdate(reg, banner); });
    setInterval(function () { tryUpdate(reg, banner); }, 3000);
    tryUpdate(reg, banner).then(function (waiting) { if (waiting) kick(); });
  }

  function tryUpdate(reg, banner) {
    if (tryingUpdate || reloading) return Promise.resolve(0);
    tryingUpdate = true;
    return Outbox.whileIdle(function () {
      return Outbox.counts().then(function (c) {
        if (!c.waiting && reg.waiting) switchTo(reg.waiting);
        return c.waiting;
      });
    }).then(function (waiting) {
      tryingUpdate = false;
      if (waiting) banner.querySelector(".text").textContent = fmt(strings.sendingFirst, { n: waiting });
      return waiting;
    }, function () { tryingUpdate = false; return 0; });
  }

  // Ask the waiting worker to take over; reload once it is in charge (or gone, or
  // after 10 s whatever happened: the page then shows what is really there).
  function switchTo(worker) {
    reloading = true;
    worker.addEventListener("statechange", function () {
      if (worker.state === "activated" || worker.state === "redundant") reloadOnce();
    });
    worker.postMessage({ type: "SKIP_WAITING" });
    setTimeout(reloadOnce, 10000);
  }

  function reloadOnce() {
    if (reloaded) return;
    reloaded = true;
    window.location.reload();
  }

  // ------------------------------------------------------------ wiring
  function changed() {
    showStatus().then(function (c) {
      if (c && !c.waiting) window.dispatchEvent(new CustomEvent("outbox:drained"));
    });
  }

  window.Pwa = { fmt: fmt, strings: strings, config: config, kick: scanned, showStatus: showStatus,
                 csrfToken: csrfToken, readJson: readJson, recordSignIn: recordSignIn };
  if (!window.Outbox || !window.indexedDB) return;
  Outbox.configure({ scans: config.scans });

  window.addEventListener("outbox:changed", changed);
  if (Outbox.channel) Outbox.channel.addEventListener("message", changed);
  window.addEventListener("online", function () { attempt = 0; showStatus(); kick(); });
  window.addEventListener("offline", showStatus);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") kick();
  });
  document.addEventListener("DOMContentLoaded", function () {
    showStatus();
    registerWorker();
    // Scans a reload cut off on a scanning screen: that screen keeps (and judges) them
    // (every screen that keeps its scans through Outbox.keepScan, put-away too: recovered
    // here, unjudged, they left the device's copy behind and went without their task).
    var recovered = document.querySelector("#offline-pick, #offline-verify, #offline-putaway")
      ? Promise.resolve() : Outbox.recover();
    // The sign-in on this device is recorded before anything is sent: the server takes a
    // scan only from someone who signed in on the device that sends it.
    Promise.all([rememberSession().then(recordSignIn), recovered.catch(function () {})]).then(kick, kick);
  });
})();
