// Offline counting (盘点). Once a count is taken offline (kept in IndexedDB through
// Outbox.registerCopy), every scan on the count screen is kept in the outbox as a
// "count" scan (subject_id = the count; payload {step: scan|empty|finish}) and sent by
// the outbox; the server applies it with the online rules (the book at the scan's
// device time), or keeps it as a conflict. Blind as online: the copy holds the bin's
// code and what was counted here, never a book quantity. The same code runs on the
// count page and in the shell the service worker serves with no network.
(function () {
  "use strict";

  var screen = window.OfflineScreen;
  var h = screen.h, say = screen.say;
  var root, strings, countId, copy = null, chain = Promise.resolve();

  function fmt(template, values) { return window.Pwa ? window.Pwa.fmt(template, values) : template; }

  // The device's judge: the bin's label first, then any item (the server knows the
  // codes); an empty bin only when nothing was counted; nothing after the finish.
  function judge(stored, entry) {
    var step = (entry.payload || {}).step || "scan";
    if (!stored) return { ok: false, message: strings.notHere };
    if (stored.finished) return { ok: false, message: strings.finished };
    if (step === "scan" && !stored.started) {
      if (entry.code !== stored.location_code) return { ok: false, message: fmt(strings.locationFirst, { code: stored.location_code }) };
      stored.started = true;
      return { ok: true, message: fmt(strings.counting, { code: stored.location_code }) };
    }
    if (!stored.started) return { ok: false, message: fmt(strings.locationFirst, { code: stored.location_code }) };
    if (step === "scan") {
      if (entry.code === stored.location_code) return { ok: true, message: fmt(strings.counting, { code: stored.location_code }) };
      if (!(entry.quantity >= 1)) return { ok: false, message: strings.badQuantity };
      stored.tally = stored.tally || {};
      stored.tally[entry.code] = (stored.tally[entry.code] || 0) + entry.quantity;
      return { ok: true, message: fmt(strings.counted, { code: entry.code, n: stored.tally[entry.code] }) };
    }
    if (step === "empty" && Object.keys(stored.tally || {}).length) return { ok: false, message: strings.notEmpty };
    stored.finished = true;
    return { ok: true, message: strings.done };
  }

  function render(verdict) {
    var section = document.getElementById("count-task");
    if (!section || !copy) return;
    var tally = copy.tally || {}, codes = Object.keys(tally);
    var children = [];
    if (verdict) children.push(h("p", { "class": verdict.ok ? "scan-ok" : "scan-bad", "data-feedback": verdict.ok ? "ok" : "bad", text: verdict.message }));
    children.push(h("div", { "class": "task card" }, [h("p", { "class": "loc" + (copy.started ? " confirmed" : ""), text: copy.location_code })]));
    children.push(h("ul", { "class": "list", id: "counted" }, codes.length ? codes.map(function (code) {
      return h("li", { "data-code": code }, [h("code", { text: code }), " ", h("b", { "class": "big-number", text: String(tally[code]) })]);
    }) : [h("li", { "class": "muted", text: strings.nothingYet })]));
    if (copy.finished) {
      children.push(h("div", { "class": "card done", "data-count-done": "1" }, [h("h2", { text: strings.done })]));
    } else if (copy.started) {
      var buttons = [];
      if (!codes.length) buttons.push(button(strings.empty, "empty", "button danger"));
      buttons.push(button(strings.finish, "finish", "button primary"));
      children.push(h("div", { "class": "actions" }, buttons));
    }
    section.replaceChildren.apply(section, children);
    section.dataset.offline = "1";
    section.dataset.status = copy.finished ? "counted" : copy.started ? "counting" : "open";
    if (verdict) screen.feedback(verdict.ok);
  }

  function button(text, step, cls) {
    var b = h("button", { type: "button", "class": cls, "data-action": step, text: text });
    b.addEventListener("click", function () { take(copy.location_code, 1, step); });
    return b;
  }

  function take(code, qty, step) {
    chain = chain.then(function () {
      var scan = { action: "count", subject_id: countId, code: code, quantity: qty, payload: { step: step } };
      var verdict = null;
      return Outbox.recordScan(scan, function (stored, entry) {
        verdict = judge(stored, entry);
        return verdict;
      }).then(function (result) {
        copy = result.copy || copy;
        render(verdict || result.verdict);
        Outbox.send();
      });
    }).catch(function (error) { say(String(error)); });
    return chain;
  }

  function onCode(code) {
    var field = document.getElementById("qty"), qty = 1;
    if (field && field.value.trim()) { qty = /^[0-9]{1,9}$/.test(field.value.trim()) ? parseInt(field.value, 10) : 0; field.value = ""; }
    take(code, qty, "scan");
  }

  function mine(entry) { return entry.action === "count" && entry.subject_id === countId; }

  function start(stored) {
    copy = stored;
    screen.showProblems(mine, strings);
    screen.watchOutbox(function () { screen.showProblems(mine, strings); });
    screen.takeOverScanField(onCode);
    var takeButton = document.getElementById("take-offline");
    if (takeButton) takeButton.hidden = true;
    say(fmt(strings.taken, { code: copy.location_code }));
    render(null);
  }

  function takeOffline() {
    say(strings.taking);
    screen.takeCopy("count", root.dataset.offlineUrl.replace("/0/", "/" + countId + "/"), countId)
      .then(start, function (error) { say(fmt(strings.takeFailed, { reason: error.message })); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("offline-count");
    if (!root || !window.Outbox) return;
    strings = JSON.parse(document.getElementById("count-strings").textContent);
    var match = /\/counts\/(\d+)/.exec(location.pathname);
    countId = Number(root.dataset.countId || (match && match[1]));
    Outbox.registerCopy("count", { kind: "count", key: "subject_id" });
    var takeButton = document.getElementById("take-offline");
    if (takeButton) takeButton.addEventListener("click", takeOffline);
    if (!countId) return;
    Outbox.getCopy("count", countId).then(function (stored) {
      if (stored) start(stored);
      else if (!root.dataset.countId) say(strings.notHere);
    });
  });
})();
