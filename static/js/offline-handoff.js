// The handoff screen (交接) with or without network. Opening a manifest takes it onto
// the phone (its parcels, as GET /api/v1/manifests/<id>/offline gives them); from
// then on each scan is kept in the outbox first, judged here against that copy (the
// same refusals the server makes), shown, and sent through the one sync API as a
// "handoff" scan. Both signatures go the same way as one "handoff_sign" scan whose
// payload holds the drawings. Offline, /handoff pages open the shell
// (/offline/handoff), which reads the manifest id from the address.
(function () {
  "use strict";
  if (!window.Outbox) return;
  Outbox.registerCopy("handoff", { kind: "manifest", key: "subject_id" });
  Outbox.registerCopy("handoff_sign", { kind: "manifest", key: "subject_id" });

  var S = window.OfflineScreen, h = S.h, box, strings, manifestId, field;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (_m, k) { return values[k]; });
  }

  function codeOf(raw) {
    var parsed = window.WarehouseBarcodes ? window.WarehouseBarcodes.readScan(raw) : { text: raw };
    return String(parsed.text || raw || "").trim().toUpperCase();
  }

  function countsOf(copy) {
    var active = copy.parcels.filter(function (p) { return p.status === "expected" || p.status === "scanned"; });
    var scanned = active.filter(function (p) { return p.status === "scanned"; }).length;
    return { expected: active.length, scanned: scanned, missing: active.length - scanned };
  }

  // The same refusals as services.scan() for what the phone can know.
  function judge(copy, entry) {
    if (!copy) return { ok: false, message: strings.notHere };
    if (copy.status === "signed") return { ok: false, message: strings.signed };
    var code = codeOf(entry.code);
    var parcel = copy.parcels.filter(function (p) { return p.tracking_number === code; })[0];
    if (!parcel) return { ok: false, message: fmt(strings.notOnManifest, { code: code }) };
    if (parcel.status === "scanned") return { ok: false, message: fmt(strings.already, { tracking: code }) };
    if (parcel.status === "withdrawn") return { ok: false, message: fmt(strings.cancelled, { order: parcel.order }) };
    if (parcel.status !== "expected") return { ok: false, message: fmt(strings.notOnManifest, { code: code }) };
    parcel.status = "scanned";
    var c = countsOf(copy);
    return { ok: true, message: fmt(strings.counted, { tracking: code, order: parcel.order, n: c.scanned, total: c.expected }) };
  }

  function render(copy, verdict) {
    var section = document.getElementById("manifest");
    if (!section || !copy) return;
    var c = countsOf(copy);
    var rank = { expected: 0, scanned: 1, moved: 2, left: 3, withdrawn: 4 };
    var rows = copy.parcels.slice().sort(function (a, b) { return rank[a.status] - rank[b.status]; })
      .map(function (p) {
        return h("tr", { "class": "member-" + p.status + (p.status === "scanned" ? " done" : ""), "data-tracking": p.tracking_number, "data-status": p.status }, [
          h("td", {}, [h("code", { text: p.tracking_number })]), h("td", { text: p.order }),
          h("td", { text: strings.states[p.status] || p.status })]);
      });
    var fresh = h("section", { id: "manifest", "aria-live": "polite", "data-expected": c.expected, "data-scanned": c.scanned, "data-local": "1" }, [
      verdict ? h("p", { "class": verdict.ok ? "scan-ok" : "scan-bad", "data-feedback": verdict.ok ? "ok" : "bad", text: verdict.message }) : null,
      h("p", { "class": "counts" }, [h("strong", { "class": "big", id: "scanned-count", text: String(c.scanned) }), " / ",
        h("span", { id: "expected-count", text: String(c.expected) }), " " + strings.scanned + " · ",
        h("span", { id: "missing-count", text: String(c.missing) }), " " + strings.missing]),
      h("progress", { max: c.expected || 1, value: c.scanned, "aria-label": strings.progress }),
      h("table", { "class": "rows" }, [h("thead", {}, [h("tr", {}, [h("th", { text: strings.parcel }), h("th", { text: strings.order }), h("th", { text: strings.state })])]),
        h("tbody", {}, rows)])]);
    section.replaceWith(fresh);
  }

  function showWaiting() {
    return Outbox.counts(manifestId, "handoff").then(function (c) {
      var text = navigator.onLine ? strings.taken : strings.offlineNote;
      if (c.waiting) text += " " + fmt(strings.waiting, { n: c.waiting });
      S.say(text);
      return S.showProblems(function (e) { return (e.action === "handoff" || e.action === "handoff_sign") && e.subject_id === manifestId; }, strings);
    });
  }

  function onCode(code) {
    Outbox.recordScan({ action: "handoff", subject_id: manifestId, code: code, quantity: 1 }, judge)
      .then(function (result) {
        var verdict = result.verdict || { ok: false, message: strings.notHere };
        render(result.copy, verdict);
        S.feedback(verdict.ok);
        return showWaiting();
      }).then(function () { if (navigator.onLine) Outbox.send().then(showWaiting); });
  }

  // Take the server's copy when nothing of ours waits for it (else keep ours).
  function refresh() {
    if (!navigator.onLine) return Promise.resolve();
    return Outbox.getCopy("handoff", manifestId).then(function (old) {
      return S.fetchJson(box.dataset.offlineUrl.replace("/0/", "/" + manifestId + "/"))
        .then(function (copy) { return Outbox.putCopy("handoff", copy, old ? (old.rev || 0) : undefined); })
        .then(function () { return Outbox.getCopy("handoff", manifestId); });
    }).catch(function (error) {
      if (error.status === 409) return Outbox.deleteCopy("handoff", manifestId).then(function () { return null; });
      S.say(fmt(strings.takeFailed, { reason: error.message }));
      return Outbox.getCopy("handoff", manifestId);
    });
  }

  function payloadOf(form) {
    var out = {};
    ["courier_name", "courier_company", "courier_badge", "warehouse_name", "warehouse_svg", "courier_svg"]
      .forEach(function (name) { out[name] = form.elements[name] ? form.elements[name].value : ""; });
    return out;
  }

  // Signing: online, the waiting scans go first and the form posts as usual; offline,
  // the signatures wait in the outbox with the scans and are applied after them.
  function wireSign() {
    var form = document.getElementById("sign-form");
    if (!form) return;
    form.action = box.dataset.signUrl.replace("/0/", "/" + manifestId + "/");
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;  // the signature field refused an empty drawing
      event.preventDefault();
      if (navigator.onLine) {
        Outbox.send().then(function () { HTMLFormElement.prototype.submit.call(form); });
        return;
      }
      Outbox.recordScan({ action: "handoff_sign", subject_id: manifestId, code: "sign", quantity: 1, payload: payloadOf(form) })
        .then(function () {
          return Outbox.getCopy("handoff", manifestId).then(function (copy) {
            if (copy) { copy.status = "signed"; return Outbox.putCopy("handoff", copy); }
          });
        }).then(function () {
          form.replaceWith(h("p", { "class": "scan-ok", id: "signed-offline", text: strings.signedOffline }));
          return showWaiting();
        });
    });
  }

  function start() {
    box = document.getElementById("offline-handoff");
    if (!box) return;
    strings = JSON.parse(document.getElementById("handoff-strings").textContent);
    var match = /\/handoff\/manifests\/(\d+)/.exec(location.pathname);
    manifestId = Number(box.dataset.manifestId || (match && match[1]) || 0);
    if (!manifestId) { S.say(strings.notHere); return; }
    field = S.takeOverScanField(onCode);
    refresh().then(function (copy) {
      copy = copy || null;
      if (!copy) return Outbox.getCopy("handoff", manifestId);
      return copy;
    }).then(function (copy) {
      if (!copy) { S.say(strings.notHere); return; }
      var title = document.getElementById("manifest-title");
      if (title && box.dataset.shell) title.textContent = strings.title + " " + copy.code;
      render(copy, null);
      return showWaiting();
    });
    wireSign();
    S.watchOutbox(showWaiting);
    window.addEventListener("online", function () { Outbox.send().then(refresh).then(function (copy) { if (copy) render(copy, null); }).then(showWaiting); });
    window.addEventListener("offline", showWaiting);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
