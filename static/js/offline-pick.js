// Offline-first picking. Once a list is taken offline (kept in IndexedDB), every
// scan on the screen goes into the outbox and is judged here, on the device, by
// the rules of webapp/picking/services.py scan(); the outbox sends it later.
// The same code runs on the task screen and in the shell the service worker
// serves when there is no network.
(function () {
  "use strict";

  var root, strings, listId, shell, lastVerdict = null, chain = Promise.resolve();
  var offlineMode = false, refreshing = false, lastWaiting = 0, renderQueued = false;

  // The rules live in static/js/pick-rules.js (checked against the server's in tests).
  var rules = window.WarehousePickRules;
  var currentTask = rules.currentTask, progress = rules.progress;

  var catalog = null;  // every code of the catalogue, as sets (kept in meta, shared with packing)
  var catalogVersion = "";  // the version of it this device holds: the server skips it when unchanged

  function judge(list, entry) { return rules.judge(list, entry, strings, catalog); }

  // Store the server's copy: the catalogue once, in meta (it tells another product's
  // code from an unknown one, as the server does), and the list without it (every
  // scan rewrites the list; it must stay small).
  function keep(payload, ifRev) {
    var codes = payload.catalog;
    delete payload.catalog;
    var fresh = codes && codes.barcodes;  // else {version} alone: ours is current
    var saved = fresh ? Outbox.setMeta("catalog", codes).then(function () { use(codes); }) : Promise.resolve();
    return saved.then(function () { return Outbox.putList(payload, ifRev); });
  }

  function use(codes) {
    catalog = rules.catalogSets(codes);
    catalogVersion = (codes && codes.version) || "";
  }

  function loadCatalog() { return Outbox.getMeta("catalog").then(use); }

  // ------------------------------------------------------------ rendering (_task.html)
  function fmt(template, values) { return window.Pwa.fmt(template, values); }

  var screen = window.OfflineScreen, h = screen.h, feedback = screen.feedback, say = screen.say;

  function taskCard(task) {
    var loc = task.location, product = task.product;
    var where = [strings.zone + " " + loc.zone, strings.aisle + " " + loc.aisle,
                 strings.bay + " " + loc.bay, strings.level + " " + loc.level].join(" · ");
    var image = null;
    if (product.image_url) {
      image = h("img", { "class": "product-image", src: product.image_url, alt: "", width: 96, height: 96, loading: "lazy" });
      image.addEventListener("error", function () { image.remove(); });  // offline: no picture
    }
    return h("div", { "class": "task card", "data-task-id": task.task_id }, [
      h("p", { "class": "loc" + (task.location_confirmed ? " confirmed" : ""), text: loc.code }),
      h("p", { "class": "where", text: where }),
      image,
      h("p", { "class": "product", text: product.name }),
      h("p", {}, [h("code", { text: product.sku })]),
      h("p", { "class": "qty-line" }, [
        h("span", { "class": "big-number", text: task.picked_qty + " / " + task.quantity }),
        h("span", { "class": "slot" }, [strings.cartSlot + " ", h("b", { text: String(task.cart_slot) })])
      ])
    ]);
  }

  // The reason first, then Confirm or Undo (app.js twoStep, as on the server's page):
  // nothing is sent on the first tap.
  function shortPicker(task) {
    var reasons = strings.shortReasons || {};
    var buttons = Object.keys(reasons).map(function (reason) {
      return h("button", { type: "button", "class": "button danger", "data-reason": reason, text: reasons[reason],
                           "data-step-choose": reason,
                           "data-step-question": fmt(strings.shortQuestion, { sku: task.product.sku,
                                                                              code: task.location.code,
                                                                              reason: reasons[reason] }) });
    });
    var value = h("input", { type: "hidden", name: "reason", value: "", "data-step-value": "" });
    var confirm = h("button", { type: "button", "class": "button danger", "data-step-confirm": "",
                                text: strings.shortConfirm });
    confirm.addEventListener("click", function () { if (value.value) reportShort(task, value.value); });
    var step = h("div", { "class": "confirm-step" }, [
      h("p", { "class": "notice", "data-step-ask": "" }), value, confirm,
      h("button", { type: "button", "class": "button", "data-step-undo": "", text: strings.undo })]);
    step.hidden = true;
    return h("details", { "class": "short" }, [h("summary", { text: strings.reportShort }),
                                               h("div", { "class": "actions", "data-two-step": "" },
                                                 buttons.concat([step]))]);
  }

  // Each verdict is shown afresh, even one worded like the last.
  var verdicts = 0;
  function setVerdict(verdict) {
    lastVerdict = verdict && Object.assign({ n: ++verdicts }, verdict);
  }

  // What the card shows; a background change (a sync, the server's copy) that does
  // not change it leaves the card alone, and an open "Report short" stays open.
  function signature(list) {
    return JSON.stringify([lastVerdict, list.status, list.tasks.map(function (t) {
      return [t.task_id, t.status, t.picked_qty, t.location_confirmed];
    })]);
  }

  function render(list) {
    var section = document.getElementById("pick-task");
    if (!section || !list) return;
    var drawn = signature(list);
    if (section.dataset.signature === drawn) return;
    var openShort = section.querySelector("details.short[open]");
    var openTask = openShort && section.querySelector(".task.card").dataset.taskId;
    var p = progress(list), task = currentTask(list), parts = [];
    if (lastVerdict) {
      parts.push(h("p", { "class": lastVerdict.ok ? "scan-ok" : "scan-bad",
                          "data-feedback": lastVerdict.ok ? "ok" : "bad", text: lastVerdict.message }));
    }
    var bar = h("div", { "class": "progress", role: "progressbar", "aria-label": strings.progressLabel,
                         "aria-valuemin": 0,
                         "aria-valuemax": p.total, "aria-valuenow": p.done }, [h("span")]);
    bar.firstChild.style.width = (p.total ? Math.round(100 * p.done / p.total) : 100) + "%";
    parts.push(bar, h("p", { "class": "progress-text", text: fmt(strings.progress, p) }));
    if (task) {
      if (task.kind === "putback") parts.push(h("p", { "class": "notice", text: strings.putback }));
      parts.push(taskCard(task));
      if (task.kind === "pick") {
        var short = shortPicker(task);
        short.open = openTask === String(task.task_id);
        parts.push(short);
      }
    } else {
      parts.push(h("div", { "class": "card done", "data-list-done": "1" }, [
        h("h2", { text: strings.listDone }), h("p", { text: strings.toPacking }),
        h("a", { "class": "button primary", href: root.dataset.listsUrl, text: strings.myLists })
      ]));
    }
    section.replaceChildren.apply(section, parts);
    section.dataset.signature = drawn;
    section.dataset.offline = "1";
    section.dataset.listId = String(list.pick_list_id);
  }

  function showProblems() {
    return screen.showProblems(function (e) { return !listId || e.pick_list_id === listId; }, strings);
  }

  // ------------------------------------------------------------ scanning
  function parseQuantity() {
    var field = document.getElementById("qty");
    var text = field ? field.value : "";
    if (field) field.value = "";
    return rules.quantityOf(text);
  }

  // A scan is stored the moment it is made (Outbox.keepScan: the journal, then the
  // outbox, where it is judged), never behind the drawing of the one before: a
  // reload right after a burst loses nothing. What it shows follows, in order.
  function onScan(code, quantity) {
    var kept = Outbox.keepScan({ action: "pick", code: code, quantity: quantity, pick_list_id: listId }, judge);
    kept.catch(function () { /* told below, in its turn */ });
    chain = chain.then(function () { return kept; }).then(function (result) {
      if (result.verdict) {
        setVerdict(result.verdict);
        render(result.list);
        feedback(result.verdict.ok);
      }
      window.Pwa.kick();
      return showProblems();
    }).catch(function (error) {
      setVerdict({ ok: false, message: String(error && error.message || error) });
      feedback(false);
    });
    return chain;
  }

  function takeOverScanField() {
    return screen.takeOverScanField(function (code) { onScan(code, parseQuantity()); });
  }

  // ------------------------------------------------------------ lists and the server
  function urlFor(template, id) { return template.replace("/0/", "/" + id + "/"); }

  // The list as the server has it: with the sign-in, else with the device token.
  function fetchList() {
    var url = urlFor(root.dataset.offlineUrl, listId);
    return screen.fetchJson(catalogVersion ? url + "?catalog=" + encodeURIComponent(catalogVersion) : url);
  }

  function takeOffline() {
    say(strings.taking);
    return fetchList().then(function (payload) {
      return keep(payload).then(function () { return Outbox.getList(listId); });
    }).then(function (list) {
      enterOffline(list);
      say(fmt(strings.taken, { n: list.tasks.length }));
    }, function (error) {
      say(fmt(strings.takeFailed, { reason: error.message }));
    });
  }

  // The server's view replaces ours once none of this list's scans waits to be sent.
  function refresh() {
    if (refreshing || !navigator.onLine) return Promise.resolve(false);
    refreshing = true;
    var rev;
    return Promise.all([Outbox.counts(listId), Outbox.getList(listId)]).then(function (got) {
      if (got[0].waiting || !got[1]) return false;
      rev = got[1].rev || 0;
      return fetchList().then(function (payload) { return keep(payload, rev); });
    }).then(function (stored) {
      refreshing = false;
      if (stored) return Outbox.getList(listId).then(function (list) { render(list); return true; });
      return false;
    }, function () { refreshing = false; return false; });
  }

  function reportShort(task, reason) {
    Outbox.counts(listId).then(function (c) {
      if (c.waiting || !navigator.onLine) throw new Error(strings.shortNeedsNetwork);
      var body = new URLSearchParams({ task_id: String(task.task_id), reason: reason });
      return fetch(urlFor(root.dataset.shortUrl, listId), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRFToken": window.Pwa.csrfToken(), "HX-Request": "true" }
      });
    }).then(function (response) {
      if (!response.ok) throw new Error(fmt(strings.shortFailed, { reason: "HTTP " + response.status }));
      return response.text();
    }).then(function (html) {
      var marker = new DOMParser().parseFromString(html, "text/html").querySelector("[data-feedback]");
      setVerdict(marker ? { ok: marker.dataset.feedback === "ok", message: marker.textContent.trim() } : null);
      if (lastVerdict) feedback(lastVerdict.ok);
      return fetchList().then(function (payload) { return keep(payload); });
    }).then(function () {
      return Outbox.getList(listId).then(render);
    }).catch(function (error) {
      setVerdict({ ok: false, message: error.message });
      feedback(false);
      Outbox.getList(listId).then(render);
    });
  }

  function enterOffline(list) {
    if (!offlineMode) {
      offlineMode = true;
      takeOverScanField();
      var button = document.getElementById("take-offline");
      if (button) button.hidden = true;
      document.body.classList.add("picking-offline");
    }
    render(list);
    showProblems();
  }

  function showListsOnDevice(message) {
    var box = document.getElementById("offline-lists");
    if (!box) { say(message); return; }
    Outbox.allLists().then(function (lists) {
      var items = lists.map(function (list) {
        var p = progress(list);
        var link = h("a", { "class": "card big", href: root.dataset.shellUrl + "?list=" + list.pick_list_id }, [
          h("strong", { text: fmt(strings.listLine, { id: list.pick_list_id, done: p.done, total: p.total }) })]);
        return h("li", {}, [link]);
      });
      if (!items.length) items.push(h("li", { "class": "card", text: strings.noLists }));
      var ul = box.querySelector("ul");
      ul.replaceChildren.apply(ul, items);
      box.hidden = false;
      say(message || (navigator.onLine ? "" : strings.offlineNote));
    });
  }

  // Another tab scanned, a batch was sent, or the server's copy arrived: show it.
  function changed() {
    if (!offlineMode || renderQueued) return;
    renderQueued = true;
    setTimeout(function () {
      renderQueued = false;
      Promise.all([Outbox.getList(listId), Outbox.counts(listId)]).then(function (got) {
        if (got[0]) render(got[0]);
        showProblems();
        var drained = lastWaiting > 0 && got[1].waiting === 0;
        lastWaiting = got[1].waiting;
        if (drained) refresh();
      });
    }, 50);
  }

  function listFromAddress() {
    var query = new URLSearchParams(window.location.search).get("list");
    var path = window.location.pathname.match(/\/lists\/(\d+)/);
    return Number(query || (path && path[1])) || null;
  }

  function init() {
    root = document.getElementById("offline-pick");
    if (!root || !window.Outbox || !window.Pwa) return;
    strings = window.Pwa.readJson("pick-strings") || {};
    shell = !root.dataset.listId;
    listId = Number(root.dataset.listId) || listFromAddress();
    var button = document.getElementById("take-offline");
    if (button) button.addEventListener("click", takeOffline);
    screen.watchOutbox(changed);
    window.addEventListener("online", function () { if (offlineMode) refresh(); });
    if (!listId) { Outbox.recover().then(function () { showListsOnDevice(); }); return; }
    // Scans a reload cut off are kept first, judged against the list as they came.
    loadCatalog().then(function () { return Outbox.recover({ pick: judge }); }).then(function () {
      return Outbox.getList(listId);
    }).then(function (list) {
      if (list) {
        enterOffline(list);
        say(fmt(strings.taken, { n: list.tasks.length }));
        return Outbox.counts(listId).then(function (c) { lastWaiting = c.waiting; return refresh(); });
      }
      if (shell) {
        if (button) button.hidden = !navigator.onLine;
        showListsOnDevice(strings.notHere);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
