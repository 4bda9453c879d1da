// Shared page behaviour: network status, scan fields that keep focus, and
// scan feedback (beep, vibration, colour). No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  function showNetwork() {
    var el = document.getElementById("net-status");
    if (!el) return;
    var online = navigator.onLine;
    el.classList.toggle("offline", !online);
    el.textContent = online ? (el.dataset.online || el.textContent) : (el.dataset.offline || "Offline");
  }

  // A short high beep for a good scan, a low long buzz for a bad one.
  var audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1760 : 220;
      gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + (ok ? 0.08 : 0.45));
    } catch (e) { /* no audio: colour and vibration still tell */ }
  }

  function feedback(marker) {
    var ok = marker.dataset.feedback === "ok";
    beep(ok);
    if (navigator.vibrate) navigator.vibrate(ok ? 40 : [120, 60, 120]);
    document.body.classList.remove("flash-ok", "flash-bad");
    void document.body.offsetWidth;
    document.body.classList.add(ok ? "flash-ok" : "flash-bad");
  }

  // Scan fields. A wedge scanner types the code then Enter (or Tab), and the
  // next code may follow 50 ms later. On Enter the code is taken out of the
  // field at once (the field is free for the next scan) and put on a queue
  // that is sent one request at a time, in order: no scan is dropped or
  // merged, whatever the network does.
  function csrfToken() {
    var holder = document.body.getAttribute("hx-headers");
    try { return JSON.parse(holder)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function takeQuantity(input) {
    var field = input.dataset.scanQty && document.querySelector(input.dataset.scanQty);
    if (!field) return null;
    var value = field.value.trim();
    field.value = "";
    return value;
  }

  function pump(input) {
    if (input._busy || !input._queue.length) return;
    input._busy = true;
    var item = input._queue.shift();
    var values = { code: item.code };
    if (item.qty) values.qty = item.qty;
    var done = function () { input._busy = false; pump(input); };
    htmx.ajax(input.dataset.scanMethod || "POST", input.dataset.scanUrl, {
      target: input.dataset.scanTarget, swap: "outerHTML", values: values,
      headers: { "X-CSRFToken": csrfToken() }
    }).then(done, done);
  }

  function wireScanField(input) {
    if (input.dataset.wired) return;
    input.dataset.wired = "1";
    input._queue = [];
    var send = function (code, info) {
      if (!code) return;
      if (!input.dataset.scanUrl) { input.value = code; input.form.requestSubmit(); return; }
      input._queue.push({ code: code, qty: takeQuantity(input), source: info && info.source });
      pump(input);
    };
    var submit = function () {
      var code = input.value.trim();
      input.value = "";
      send(code);
    };
    // Enter/Tab from a scanner or a person, and camera codes: static/js/wedge.js.
    WarehouseWedge.attach(input, send);
    if (input.form) input.form.addEventListener("submit", function (event) {
      // A field without data-scan-url submits its form the ordinary way.
      if (!input.dataset.scanUrl) return;
      event.preventDefault();
      submit();
    });
    input.addEventListener("blur", function () {
      // Leave time for a deliberate tap elsewhere (a button, the quantity box).
      setTimeout(function () {
        var active = document.activeElement;
        if (!active || active === document.body) input.focus();
      }, 150);
    });
  }

  function wireAll(root) {
    (root && root.querySelectorAll ? root : document).querySelectorAll("[data-scan]").forEach(wireScanField);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var net = document.getElementById("net-status");
    if (net) { net.dataset.online = net.textContent; net.dataset.offline = net.dataset.offlineText || "Offline"; }
    showNetwork();
    wireAll(document);
  });
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  // New content from a swap: wire its scan fields, and a scan answer in it gives
  // feedback. htmx:load names the new element; afterSwap's target is the old one,
  // already detached after an outerHTML swap (every scan target swaps that way).
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (elt === document.body || !elt.matches) return;  // first page load: nothing scanned
    wireAll(elt);
    var marker = elt.matches("[data-feedback]") ? elt : elt.querySelector("[data-feedback]");
    if (marker) feedback(marker);
  });
  // A refused htmx request must say why. htmx 2 swaps no 4xx/5xx answer, so a form
  // answered 422 (its own page with the problems marked) or 403/409 (the error
  // fragment) showed nothing at all. A form's own answer is swapped as a 2xx would
  // be; the shared error fragment (templates/_error.html) goes to one alert at the top
  // of the page instead, so the widget that asked (a scan field, a table) stays.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    var text = xhr.responseText || "";
    if (/^\s*<div class="error-box"/.test(text)) {
      event.detail.shouldSwap = false;
      showRequestError(text);
    } else if (xhr.status < 500 && text) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var old = document.getElementById("request-error");
    if (old) old.remove();
  });
  function showRequestError(html) {
    var main = document.getElementById("main");
    if (!main) return;
    var old = document.getElementById("request-error");
    if (old) old.remove();
    var box = document.createElement("div");
    box.id = "request-error";
    box.innerHTML = html;
    main.insertBefore(box, main.firstChild);
    box.scrollIntoView({block: "nearest"});
  }
  // Two-step buttons: a deliberate action (a short pick, cancelling an order) is first
  // chosen, then confirmed or undone; nothing is sent on the first tap.
  //   [data-two-step]          the box; its [data-step-choose] buttons pick the choice
  //   [data-step-choose=VALUE] copies VALUE into the box's [data-step-value] field and
  //                            its data-step-question into the box's [data-step-ask]
  //   .confirm-step            shown while choosing; [data-step-undo] goes back
  function twoStep(event) {
    var choose = event.target.closest("[data-step-choose]");
    var undo = event.target.closest("[data-step-undo]");
    var box = (choose || undo) && (choose || undo).closest("[data-two-step]");
    if (!box) return;
    var confirm = box.querySelector(".confirm-step");
    if (choose) {
      var field = box.querySelector("[data-step-value]");
      if (field) field.value = choose.dataset.stepChoose;
      var question = box.querySelector("[data-step-ask]");
      if (question) question.textContent = choose.dataset.stepQuestion || "";
    }
    box.classList.toggle("confirming", !!choose);
    confirm.hidden = !choose;
    var next = choose ? confirm.querySelector("[data-step-confirm]") : box.querySelector("[data-step-choose]");
    if (next) next.focus();
  }
  document.addEventListener("click", twoStep);
  window.Warehouse = window.Warehouse || {};
  window.Warehouse.twoStep = twoStep;

  // Scans judged on the device (static/js/offline-pick.js) sound and look the same.
  window.Warehouse = window.Warehouse || {};
  window.Warehouse.feedback = feedback;
})();
