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

  function feedback(root) {
    var marker = root.querySelector && root.querySelector("[data-feedback]");
    if (!marker) return;
    var ok = marker.dataset.feedback === "ok";
    beep(ok);
    if (navigator.vibrate) navigator.vibrate(ok ? 40 : [120, 60, 120]);
    document.body.classList.remove("flash-ok", "flash-bad");
    void document.body.offsetWidth;
    document.body.classList.add(ok ? "flash-ok" : "flash-bad");
  }

  // Scan fields: a wedge scanner types the code then Enter (or Tab). Submit on
  // either, clear the field at once so the next scan can start, and keep focus.
  function wireScanField(input) {
    if (input.dataset.wired) return;
    input.dataset.wired = "1";
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== "Tab") return;
      event.preventDefault();
      var form = input.form;
      if (!input.value.trim()) return;
      if (window.htmx && form.getAttribute("hx-get")) {
        htmx.trigger(form, "submit");
      } else {
        form.requestSubmit();
      }
    });
    input.addEventListener("blur", function () {
      // Give a moment for a deliberate tap elsewhere (a button) to take focus.
      setTimeout(function () {
        var active = document.activeElement;
        if (!active || active === document.body) input.focus();
      }, 150);
    });
  }

  function wireAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-scan]").forEach(wireScanField);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var net = document.getElementById("net-status");
    if (net) { net.dataset.online = net.textContent; net.dataset.offline = net.dataset.offlineText || "Offline"; }
    showNetwork();
    wireAll(document);
  });
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  document.addEventListener("htmx:configRequest", function (event) {
    // The scan field is cleared once its value is in the request, ready for the next scan.
    var input = event.detail.elt.querySelector && event.detail.elt.querySelector("[data-scan]");
    if (input) setTimeout(function () { input.value = ""; input.focus(); }, 0);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    wireAll(event.detail.target);
    feedback(event.detail.target.parentNode || document);
  });
})();
