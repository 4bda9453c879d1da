// Offline-first receiving (收货, 检验). Once a receipt is taken offline (kept in
// IndexedDB through Outbox.registerCopy), every scan on the receiving screen is judged
// here by static/js/receive-rules.js, kept in the outbox as a "receive" scan
// (subject_id = receipt, line_id, payload {outcome, reason, note, accept_note, photo})
// and sent by the outbox; the server applies it with the same rules, or keeps it as a
// conflict. The same code runs on the server's page and in the shell the service
// worker serves with no network. A returned parcel at the dock uses it too: its root
// names another action (data-action="return_in"), copy kind, subject and lines section.
(function () {
  "use strict";

  var rules = window.WarehouseReceiveRules, screen = window.OfflineScreen;
  var h = screen.h, say = screen.say;
  var root, strings, receiptId, copy = null, pending = null, chain = Promise.resolve();
  var action = "receive", linesId = "receipt-lines";

  function fmt(template, values) { return window.Pwa ? window.Pwa.fmt(template, values) : template; }

  function lineCard(line) {
    var state = line.problem ? "problem" : line.unexpected ? "unexpected"
      : line.received_qty > line.expected_qty ? "over" : line.received_qty === line.expected_qty ? "done" : "open";
    var card = h("li", { "class": "card rline rline-" + state, "data-line-id": line.line_id, "data-sku": line.sku,
                         "data-received": line.received_qty, "data-expected": line.expected_qty }, [
      h("p", { "class": "qty-line" }, [h("code", { text: line.sku }), " ",
        h("span", { "class": "big-number", text: line.received_qty + " / " + line.expected_qty })]),
      h("p", { "class": "product", text: line.name || "" }),
      h("p", { "class": "muted", text: fmt(strings.passedFailed, { p: line.passed_qty, f: line.failed_qty }) })
    ]);
    if (line.line_id && !line.problem) card.appendChild(failForm(line));
    return card;
  }

  function failForm(line) {
    var reasons = strings.reasons || {};
    var select = h("select", { name: "reason" }, Object.keys(reasons).map(function (r) {
      return h("option", { value: r, text: reasons[r] });
    }));
    var qty = h("input", { name: "qty", inputmode: "numeric", value: "1", size: 4 });
    var note = h("input", { name: "note", maxlength: 500 });
    var photo = h("input", { type: "file", name: "photo", accept: "image/*", capture: "environment" });
    var button = h("button", { type: "button", "class": "button danger", text: strings.toDefective });
    button.addEventListener("click", function () {
      var file = photo.files && photo.files[0];
      var made = file && window.WarehousePhoto ? window.WarehousePhoto.dataUrl(file) : Promise.resolve(null);
      made.then(function (url) {
        var payload = { outcome: "fail", reason: select.value, note: note.value };
        if (url) payload.photo = url;
        take(line.sku, parseInt(qty.value, 10) || 0, payload, line.line_id);
      });
    });
    return h("details", { "class": "short" }, [h("summary", { text: strings.failTitle }),
      h("div", { "class": "stack" }, [h("label", {}, [strings.units, qty]), h("label", {}, [strings.reason, select]),
        h("label", {}, [strings.note, note]), h("label", {}, [strings.photo, photo]), button])]);
  }

  function reasonForm() {
    var note = h("input", { name: "note", maxlength: 300, id: "offline-accept-note" });
    var accept = h("button", { type: "button", "class": "button danger", text: strings.accept });
    var drop = h("button", { type: "button", "class": "button", text: strings.dontAccept });
    accept.addEventListener("click", function () {
      if (!note.value.trim()) { note.focus(); return; }
      var p = pending; pending = null;
      take(p.code, p.qty, Object.assign({}, p.payload, { accept_note: note.value.trim() }), p.line_id);
    });
    drop.addEventListener("click", function () { pending = null; render(null); });
    return h("div", { "class": "card problem stack", id: "accept-form" }, [
      h("label", {}, [strings.reasonToAccept, note]), h("div", { "class": "actions" }, [accept, drop])]);
  }

  function render(verdict) {
    var section = document.getElementById(linesId);
    if (!section || !copy) return;
    var received = 0, expected = 0;
    copy.lines.forEach(function (l) { received += l.received_qty; expected += l.expected_qty; });
    var children = [];
    if (verdict) children.push(h("p", { "class": verdict.ok ? "scan-ok" : "scan-bad", "data-feedback": verdict.ok ? "ok" : "bad", text: verdict.message }));
    if (pending) children.push(reasonForm());
    children.push(h("p", { "class": "progress-text", text: fmt(strings.progress, { received: received, expected: expected }) }));
    children.push(h("ul", { "class": "list receipt-lines" }, copy.lines.map(lineCard)));
    section.replaceChildren.apply(section, children);
    section.dataset.offline = "1";
    if (verdict) screen.feedback(verdict.ok);
  }

  // Keep the scan, judge it against the copy and count it, in one transaction.
  function record(code, qty, payload, lineId) {
    var scan = { action: action, subject_id: receiptId, code: code, quantity: qty, payload: payload };
    if (lineId) scan.line_id = lineId;
    var verdict = null;
    return Outbox.recordScan(scan, function (stored, entry) {
      var options = Object.assign({ line_id: entry.line_id }, entry.payload || {});
      verdict = rules.judge(stored, entry.code, entry.quantity, options, strings.rules);
      if (verdict.ok) {
        rules.apply(stored, verdict, entry.quantity, options.outcome);
        if (verdict.line_id) entry.line_id = verdict.line_id;
      }
      return verdict;
    }).then(function (result) {
      copy = result.copy || copy;
      render(verdict || result.verdict);
      Outbox.send();
    });
  }

  function take(code, qty, payload, lineId) {
    chain = chain.then(function () {
      var verdict = rules.judge(copy, code, qty, Object.assign({ line_id: lineId }, payload || {}), strings.rules);
      if (!verdict.ok && verdict.needsReason) {  // the person decides before anything is kept
        pending = { code: code, qty: qty, payload: payload || {}, line_id: verdict.line_id || lineId };
        render(verdict);
        var note = document.getElementById("offline-accept-note");
        if (note) note.focus();
        return null;
      }
      return record(code, qty, payload || {}, lineId);
    }).catch(function (error) { say(String(error)); });
    return chain;
  }

  function onCode(code) {
    var field = document.getElementById("qty"), qty = 1;
    if (field && field.value.trim()) { qty = /^[0-9]{1,6}$/.test(field.value.trim()) ? parseInt(field.value, 10) : 0; field.value = ""; }
    take(code, qty, {}, null);
  }

  // A receipt's close waits in the outbox beside its scans (a return has no close).
  function mine(entry) {
    return (entry.action === action || (action === "receive" && entry.action === "receive_close"))
      && entry.subject_id === receiptId;
  }

  // Closing with no network: both drawings go into the outbox as one "receive_close"
  // scan, after the receipt's scans; the device's copy counts as closed from then on.
  function closeOffline(form) {
    var received = copy.lines.some(function (l) { return l.received_qty > 0; });
    if (!received) { render({ ok: false, message: strings.nothingReceived }); return; }
    var payload = {};
    ["delivered_by", "company", "receiver_svg", "deliverer_svg"].forEach(function (name) {
      payload[name] = (form.elements[name].value || "").trim();
    });
    chain = chain.then(function () {
      return Outbox.recordScan({ action: "receive_close", subject_id: receiptId, code: "close", quantity: 1, payload: payload },
        function (stored) { stored.status = "received"; return { ok: true, message: strings.closedOffline }; });
    }).then(function (result) {
      copy = result.copy || copy;
      copy.status = "received";
      showClose();
      render(result.verdict);
      Outbox.send();
    }).catch(function (error) { say(String(error)); });
  }

  // The offline close form: only while the receipt is open and there is no network
  // (or in the shell); online, the server's close page also plans the put-away.
  function showClose() {
    var box = document.getElementById("offline-close");
    if (!box || !copy) return;
    var show = ["expected", "receiving"].indexOf(copy.status) >= 0 && (!navigator.onLine || !root.dataset.receiptId);
    if (show && box.hidden) {
      box.hidden = false;
      window.dispatchEvent(new Event("resize"));  // the signature pads size their canvas to the box
    } else if (!show) {
      box.hidden = true;
    }
  }

  function wireClose() {
    var form = document.getElementById("offline-close-form");
    if (!form || form.dataset.wired) return;
    form.dataset.wired = "1";
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;  // the signature field refused an empty drawing
      event.preventDefault();
      closeOffline(form);
    });
    window.addEventListener("online", showClose);
    window.addEventListener("offline", showClose);
  }

  function start(stored) {
    copy = stored;
    screen.showProblems(mine, strings);
    screen.watchOutbox(function () { screen.showProblems(mine, strings); });
    screen.takeOverScanField(onCode);
    var button = document.getElementById("take-offline");
    if (button) button.hidden = true;
    say(fmt(strings.taken, { number: copy.number }));
    render(null);
    wireClose();
    showClose();
  }

  function takeOffline() {
    say(strings.taking);
    screen.takeCopy(action, root.dataset.offlineUrl.replace("/0/", "/" + receiptId + "/"), receiptId)
      .then(start, function (error) { say(fmt(strings.takeFailed, { reason: error.message })); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("offline-receive");
    if (!root || !window.Outbox) return;
    strings = JSON.parse(document.getElementById("receive-strings").textContent);
    action = root.dataset.action || action;
    linesId = root.dataset.lines || linesId;
    var match = new RegExp(root.dataset.path || "/receiving/(\\d+)").exec(location.pathname);
    receiptId = Number(root.dataset.receiptId || (match && match[1]));
    Outbox.registerCopy(action, { kind: root.dataset.kind || "receipt", key: "subject_id" });
    if (action === "receive") Outbox.registerCopy("receive_close", { kind: "receipt", key: "subject_id" });
    var button = document.getElementById("take-offline");
    if (button) button.addEventListener("click", takeOffline);
    if (!receiptId) return;
    Outbox.getCopy(action, receiptId).then(function (stored) {
      if (stored) start(stored);
      else if (!root.dataset.receiptId) say(strings.notHere);
    });
  });
})();
