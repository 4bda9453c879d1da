// What the offline scanning screens (offline-pick.js, offline-verify.js) share: making
// elements, the scan feedback, the status line, taking over the scan field from
// app.js, fetching the server's copy with the sign-in or the device token, and the
// list of scans the server did not accept.
(function () {
  "use strict";

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }

  // Beep, buzz and colour as for an online scan (app.js), else at least vibrate.
  function feedback(ok) {
    var app = window.Warehouse;
    if (app && app.feedback) {
      app.feedback({ dataset: { feedback: ok ? "ok" : "bad" } });
      return;
    }
    if (navigator.vibrate) navigator.vibrate(ok ? 40 : [120, 60, 120]);
  }

  function say(text) {
    var el = document.getElementById("offline-state");
    if (el) el.textContent = text || "";
  }

  // Our own scan field: a fresh input without app.js's listeners, so scans are not
  // posted to the server's page. It keeps data-scan (the camera hands its codes to
  // [data-scan]) and is marked wired, so app.js and camera.js leave it be.
  // onCode(code) gets each scan, from the wedge, the keyboard or the camera.
  function takeOverScanField(onCode) {
    var old = document.getElementById("scan");
    if (!old) return null;
    var field = old;
    if (!old.hasAttribute("data-offline-scan")) {
      field = old.cloneNode(false);
      ["data-scan-url", "data-scan-target", "data-scan-qty", "data-scan-method"]
        .forEach(function (name) { field.removeAttribute(name); });
      field.setAttribute("data-offline-scan", "");
      field.dataset.wired = "1";
      field.dataset.camera = "1";
      field.value = "";
      old.replaceWith(field);
    }
    var form = field.form;
    if (form) {
      form.hidden = false;
      form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
    }
    function submit() {
      var code = field.value.trim();
      field.value = "";
      if (code) onCode(code);
    }
    if (window.WarehouseWedge) {  // tells a scanner's burst from a person's typing
      window.WarehouseWedge.attach(field, onCode);
    } else {
      field.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" && event.key !== "Tab") return;
        event.preventDefault();
        submit();
      });
    }
    field.addEventListener("blur", function () {
      setTimeout(function () {
        var active = document.activeElement;
        if (!active || active === document.body) field.focus();
      }, 150);
    });
    field.focus();
    return field;
  }

  // GET JSON from the server as the signed-in person, else with the device token.
  // A refusal throws an Error with the server's message (or the HTTP status).
  function fetchJson(url) {
    function get(token) {
      var headers = { Accept: "application/json" };
      if (token) headers.Authorization = "Bearer " + token;
      return fetch(url, { credentials: "same-origin", headers: headers, redirect: "manual", cache: "no-store" });
    }
    return get(null).then(function (response) {
      if (response.status !== 401 && response.type !== "opaqueredirect") return response;
      return Outbox.getMeta("token").then(function (token) { return token ? get(token) : response; });
    }).then(function (response) {
      if (response.ok) return response.json();
      return response.json().catch(function () { return {}; }).then(function (body) {
        var error = new Error(body.error || (response.status ? "HTTP " + response.status : "sign in again"));
        error.status = response.status;
        throw error;
      });
    });
  }

  // Fetch the server's copy of subject `id` for `action` and keep it on the device;
  // resolves with the copy as stored (Outbox.registerCopy named its kind).
  function takeCopy(action, url, id) {
    return fetchJson(url).then(function (payload) {
      return Outbox.putCopy(action, payload).then(function () { return Outbox.getCopy(action, id); });
    });
  }

  // The scans of this screen the server refused (mine(entry) picks them), listed in
  // #outbox-problems; they stay on the device until dismissed.
  function showProblems(mine, strings) {
    var box = document.getElementById("outbox-problems");
    if (!box) return Promise.resolve();
    return Outbox.problems().then(function (all) {
      var shown = all.filter(mine);
      box.hidden = !shown.length;
      var items = shown.map(function (e) {
        var label = e.state === "conflict" ? strings.conflictHint : strings.rejectedHint;
        return h("li", { "class": "card problem " + e.state, "data-scan-id": e.id }, [
          h("span", { "class": "tag bad", text: label }), " ",
          h("code", { text: e.code }), " × " + e.quantity + " ",
          h("span", { "class": "reason", text: e.reason || "" })
        ]);
      });
      var list = box.querySelector("ul");
      list.replaceChildren.apply(list, items);
    });
  }

  // Call fn whenever the outbox changes, in this tab or another (or the worker).
  function watchOutbox(fn) {
    window.addEventListener("outbox:changed", fn);
    if (Outbox.channel) Outbox.channel.addEventListener("message", fn);
  }

  window.OfflineScreen = { h: h, feedback: feedback, say: say, takeOverScanField: takeOverScanField,
                           fetchJson: fetchJson, takeCopy: takeCopy, showProblems: showProblems, watchOutbox: watchOutbox };
})();
