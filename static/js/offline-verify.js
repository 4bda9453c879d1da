// Offline packing verification (复核). Once an order is taken offline (kept in
// IndexedDB), every scan on the screen goes into the outbox and is judged here, on the
// device, by the rules of webapp/packing/services.py verify_scan() (verify-rules.js);
// the outbox sends it later. Packing itself books a carrier and needs the network:
// once the server holds every verified unit, the screen hands over to the server's
// page with the packing form. Runs on the verification page and in the packing shell
// the service worker serves when there is no network.
(function () {
  "use strict";

  var screen = window.OfflineScreen, h = screen.h, rules = window.WarehouseVerifyRules;
  var root, strings, orderId, shell, lastVerdict = null, verdicts = 0, chain = Promise.resolve();
  var offlineMode = false, refreshing = false, refreshAgain = false, lastWaiting = 0, renderQueued = false;
  var catalog = null;  // every code of the catalogue, as sets (kept in meta, not in each order)

  function fmt(template, values) { return window.Pwa.fmt(template, values); }
  function judge(order, entry) { return rules.judge(order, entry, strings, catalog); }

  // Store the server's copy: the catalogue once, in meta, and the order without it
  // (every scan rewrites the order; it must stay small).
  function keep(payload, ifRev) {
    var codes = payload.catalog;
    delete payload.catalog;
    var saved = codes ? Outbox.setMeta("catalog", codes).then(function () { catalog = rules.catalogSets(codes); })
                      : Promise.resolve();
    return saved.then(function () { return Outbox.putCopy("verify", payload, ifRev); });
  }

  function loadCatalog() {
    return Outbox.getMeta("catalog").then(function (codes) { catalog = rules.catalogSets(codes); });
  }
  function urlFor(template, id) { return template.replace("/0/", "/" + id + "/").replace(/\/0$/, "/" + id); }

  // ------------------------------------------------------------ rendering (_verify.html)
  function setVerdict(verdict) {
    lastVerdict = verdict && Object.assign({ n: ++verdicts }, verdict);
  }

  function row(line) {
    return h("tr", { "class": line.verified_qty === line.quantity ? "done" : null, "data-sku": line.sku }, [
      h("td", {}, [h("code", { text: line.sku }), " " + (line.name || "")]),
      h("td", { "class": "num", text: String(line.quantity) }),
      h("td", { "class": "num", text: String(line.verified_qty) })
    ]);
  }

  // Under the table: what to do next. Packing needs the server to hold every scan.
  function footer(order, waiting) {
    if (!rules.complete(order)) return h("p", { "class": "warn", text: strings.scanEvery });
    var text = waiting ? fmt(strings.completeWaiting, { n: waiting })
                       : (navigator.onLine ? strings.completeOpening : strings.completeOffline);
    return h("div", { "class": "card done", "data-verify-complete": "1" }, [
      h("h2", { text: strings.complete }), h("p", { text: text })]);
  }

  function render(order, waiting) {
    var section = document.getElementById("verify");
    if (!section || !order) return;
    var parts = [];
    if (lastVerdict) {
      parts.push(h("p", { "class": lastVerdict.ok ? "scan-ok" : "scan-bad",
                          "data-feedback": lastVerdict.ok ? "ok" : "bad", text: lastVerdict.message }));
    }
    var head = h("tr", {}, [h("th", { text: strings.item }), h("th", { "class": "num", text: strings.expected }),
                            h("th", { "class": "num", text: strings.scanned })]);
    parts.push(h("table", { "class": "rows" }, [h("thead", {}, [head]), h("tbody", {}, order.lines.map(row))]));
    parts.push(footer(order, waiting));
    section.replaceChildren.apply(section, parts);
    section.dataset.offline = "1";
    section.dataset.orderId = String(order.order_id);
    var title = document.getElementById("verify-title");
    if (title) title.textContent = strings.verify + " " + order.number;
  }

  function redraw() {
    return Promise.all([Outbox.getCopy("verify", orderId), Outbox.counts(orderId, "verify")]).then(function (got) {
      render(got[0], got[1].waiting);
      return got;
    });
  }

  function showProblems() {
    return screen.showProblems(function (e) { return e.action === "verify" && (!orderId || e.order_id === orderId); },
                               strings);
  }

  // ------------------------------------------------------------ scanning
  // A scan is stored the moment it is made (Outbox.keepScan: the journal, then the
  // outbox, where it is judged), never behind the drawing of the one before: a
  // reload right after a burst loses nothing. What it shows follows, in order.
  // The person is the copy's (who took it along), else the one signed in here, as
  // the outbox keeps them; never a cached page's idea of who is signed in.
  function onScan(code) {
    var kept = Outbox.keepScan({ action: "verify", code: code, quantity: 1, order_id: orderId }, judge);
    kept.catch(function () { /* told below, in its turn */ });
    chain = chain.then(function () { return kept; }).then(function (result) {
      if (result.verdict) {
        setVerdict(result.verdict);
        screen.feedback(result.verdict.ok);
      }
      window.Pwa.kick();
      return redraw().then(showProblems);
    }).catch(function (error) {
      setVerdict({ ok: false, message: String(error && error.message || error) });
      screen.feedback(false);
    });
    return chain;
  }

  // ------------------------------------------------------------ the server's copy
  function fetchOrder() { return screen.fetchJson(urlFor(root.dataset.offlineUrl, orderId)); }

  function takeOffline() {
    screen.say(strings.taking);
    return Promise.all([fetchOrder(), Outbox.counts(orderId, "verify")]).then(function (got) {
      // Scans of this order still wait (another tab): ours is newer than the server's.
      return got[1].waiting ? loadCatalog() : keep(got[0]);
    }).then(function () { return Outbox.getCopy("verify", orderId); }).then(function (order) {
      enterOffline(order);
      screen.say(strings.taken);
    }, function (error) {
      screen.say(fmt(strings.takeFailed, { reason: error.message }));
    });
  }

  // Once none of this order's scans waits: the server's copy replaces ours, and when
  // the server holds every unit the server's page (with the packing form) takes over.
  function refresh() {
    if (!navigator.onLine) return Promise.resolve(false);
    if (refreshing) { refreshAgain = true; return Promise.resolve(false); }  // the last drain counts
    refreshing = true;
    var rev;
    return Promise.all([Outbox.counts(orderId, "verify"), Outbox.getCopy("verify", orderId)]).then(function (got) {
      if (got[0].waiting || !got[1]) return false;
      rev = got[1].rev || 0;
      return fetchOrder().then(function (payload) {
        if (rules.complete(payload)) return handOver();
        return keep(payload, rev).then(function (stored) { return stored && redraw(); });
      }, function (error) {
        if (error.status === 409) {  // packed or cancelled meanwhile: the server's page says which
          return handOver();
        }
        return false;
      });
    }).then(function (done) { return done; }, function () { return false; }).then(function (done) {
      refreshing = false;
      if (refreshAgain && !done) { refreshAgain = false; return refresh(); }
      refreshAgain = false;
      return done;
    });
  }

  // Leave offline mode for the server's verification page (it shows the packing form).
  // No scan may be in flight: the field is closed, the scans made so far are kept, and
  // only if none of them waits is the copy dropped and the page left.
  function handOver() {
    var field = document.getElementById("scan");
    if (field) field.disabled = true;
    return chain.then(function () { return Outbox.counts(orderId, "verify"); }).then(function (c) {
      if (c.waiting) { if (field) field.disabled = false; return false; }
      return Outbox.deleteCopy("verify", orderId).then(function () {
        window.location.assign(urlFor(root.dataset.verifyUrl, orderId));
        return true;
      });
    });
  }

  // "Count again from zero" talks to the server: only with the network and nothing
  // waiting. It runs in the line of scans, so no scan is judged while it happens.
  function guardRestart() {
    var form = document.getElementById("restart-verification");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      chain = chain.then(function () { return Outbox.counts(orderId, "verify"); }).then(function (c) {
        if (c.waiting || !navigator.onLine) throw new Error(strings.restartNeedsNetwork);
        return fetch(form.action, { method: "POST", credentials: "same-origin", body: new FormData(form) });
      }).then(function (response) {
        // Done, the view sends us back to the order; a lapsed sign-in ends at the login page.
        var back = response.ok && new URL(response.url).pathname === new URL(urlFor(root.dataset.verifyUrl, orderId), location.href).pathname;
        if (!back) throw new Error(fmt(strings.restartFailed, { reason: response.ok ? strings.signIn : "HTTP " + response.status }));
        return fetchOrder();
      }).then(function (payload) {
        return keep(payload);
      }).then(function () {
        setVerdict(null);
        return redraw();
      }).catch(function (error) {
        setVerdict({ ok: false, message: error.message });
        screen.feedback(false);
        return redraw();
      });
    });
  }

  function enterOffline(order) {
    if (!offlineMode) {
      offlineMode = true;
      screen.takeOverScanField(onScan);
      var button = document.getElementById("take-offline");
      if (button) button.hidden = true;
      document.body.classList.add("verify-offline");
      guardRestart();
    }
    redraw();
    showProblems();
    return order;
  }

  // Another tab scanned, a batch was sent, or the server's copy arrived: show it.
  function changed() {
    if (!offlineMode || renderQueued) return;
    renderQueued = true;
    setTimeout(function () {
      renderQueued = false;
      redraw().then(function (got) {
        showProblems();
        var drained = lastWaiting > 0 && got[1].waiting === 0;
        lastWaiting = got[1].waiting;
        if (drained) refresh();
      });
    }, 50);
  }

  // ------------------------------------------------------------ the packing shell
  // With no order chosen: the orders on this device; a scan of an order's barcode or
  // number opens it (only orders on the device, of course). The station's own form,
  // sent offline, lands here with ?code=.
  function showOrdersOnDevice(message) {
    var box = document.getElementById("offline-orders");
    if (box) box.hidden = false;
    Outbox.allCopies("verify").then(function (orders) {
      var items = orders.map(function (order) {
        var p = rules.progress(order);
        return h("li", {}, [h("a", { "class": "card big", href: root.dataset.shellUrl + "?order=" + order.order_id }, [
          h("strong", { text: fmt(strings.orderLine, { number: order.number, done: p.done, total: p.total }) })])]);
      });
      if (!items.length) items.push(h("li", { "class": "card", text: strings.noOrders }));
      var ul = box && box.querySelector("ul");
      if (ul) ul.replaceChildren.apply(ul, items);
      screen.say(message || (navigator.onLine ? "" : strings.offlineNote));
      var label = document.querySelector("label[for=scan]");
      if (label) label.textContent = strings.findOrder;
      screen.takeOverScanField(function (code) { openByCode(orders, code); });
      var asked = new URLSearchParams(window.location.search).get("code");
      if (asked && orders.length) openByCode(orders, asked);
    });
  }

  function openByCode(orders, raw) {
    var code = window.WarehousePickRules.clean(raw).toUpperCase();
    var found = orders.filter(function (o) {
      return [o.order_code, o.number].some(function (c) { return String(c).toUpperCase() === code; });
    })[0];
    if (found) { window.location.assign(root.dataset.shellUrl + "?order=" + found.order_id); return; }
    screen.feedback(false);
    screen.say(fmt(strings.orderNotHere, { code: code }));
  }

  function orderFromAddress() {
    var query = new URLSearchParams(window.location.search).get("order");
    var path = window.location.pathname.match(/\/packing\/orders\/(\d+)/);
    return Number(query || (path && path[1])) || null;
  }

  function init() {
    root = document.getElementById("offline-verify");
    // Outbox.getCopy is missing while an older service worker still serves its outbox.js:
    // offline verification arrives with the update (the banner offers the reload).
    if (!root || !window.Outbox || !Outbox.getCopy || !window.Pwa || !rules) return;
    strings = Object.assign({}, rules.ENGLISH, window.Pwa.readJson("verify-strings") || {});
    shell = !root.dataset.orderId;
    orderId = Number(root.dataset.orderId) || orderFromAddress();
    var button = document.getElementById("take-offline");
    if (button) button.addEventListener("click", takeOffline);
    screen.watchOutbox(changed);
    window.addEventListener("online", function () { if (offlineMode) { redraw(); refresh(); } });
    window.addEventListener("offline", function () { if (offlineMode) redraw(); });
    if (!orderId) { Outbox.recover().then(function () { showOrdersOnDevice(); }); return; }
    // Scans a reload cut off are kept first, judged against the order as they came.
    loadCatalog().then(function () { return Outbox.recover({ verify: judge }); }).then(function () {
      return Promise.all([Outbox.getCopy("verify", orderId), Outbox.counts(orderId, "verify")]);
    }).then(function (got) {
      var order = got[0], waiting = got[1].waiting, section = document.getElementById("verify");
      if (!order) {
        if (shell) showOrdersOnDevice(strings.notHere);
        // Fully verified already: the packing form is next, and it needs the network anyway.
        else if (button && section && section.dataset.complete === "1") button.hidden = true;
        return;
      }
      // The server's own page, complete, with nothing of ours waiting: its packing form stands.
      if (!shell && !waiting && section && section.dataset.complete === "1") {
        return Outbox.deleteCopy("verify", orderId);
      }
      lastWaiting = waiting;
      enterOffline(order);
      screen.say(strings.taken);
      return refresh();
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
