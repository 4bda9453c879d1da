// Signature fields (webapp/templates/_signature.html): a canvas to sign on with a
// finger, stylus or mouse (signature_pad, pointer events), a Clear button, and the
// drawing written as SVG into the hidden input <name>_svg after every stroke, so a
// plain form post or an outbox entry carries it. Everything is local: it works
// with no network. The page may load this file more than once; it sets up once.
(function () {
  "use strict";
  if (window.SignatureFields) return;

  function svgOf(pad) {
    return pad.isEmpty() ? "" : pad.toSVG();
  }

  function store(field, pad) {
    var input = field.querySelector("input[type=hidden]");
    var value = svgOf(pad);
    if (input.value === value) return;
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // The canvas is drawn at the screen's pixel density; a new size keeps the strokes.
  function fit(canvas, pad) {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var width = canvas.offsetWidth, height = canvas.offsetHeight;
    if (!width || (canvas.width === Math.round(width * ratio) &&
                   canvas.height === Math.round(height * ratio))) return;
    var strokes = pad.toData();
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    if (strokes.length) pad.fromData(strokes);
  }

  function showError(field, text) {
    var box = field.querySelector(".signature-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function enhance(field) {
    if (field._pad || typeof window.SignaturePad !== "function") return;
    var canvas = field.querySelector("canvas");
    canvas.hidden = false;
    field.querySelector(".signature-nojs").hidden = true;
    var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#0d1117" });
    field._pad = pad;
    fit(canvas, pad);
    pad.addEventListener("endStroke", function () {
      store(field, pad);
      showError(field, "");
    });
    var clear = field.querySelector(".signature-clear");
    clear.hidden = false;
    clear.addEventListener("click", function () {
      pad.clear();
      store(field, pad);
    });
    window.addEventListener("resize", function () { fit(canvas, pad); });
    var form = field.closest("form");
    if (form && field.dataset.required === "true") {
      var refuseEmpty = function (event) {
        if (!pad.isEmpty()) return;
        event.preventDefault();
        showError(field, field.dataset.emptyMessage);
        canvas.scrollIntoView({ block: "center" });
      };
      form.addEventListener("submit", refuseEmpty);
      form.addEventListener("htmx:beforeRequest", refuseEmpty);  // an hx-post form
    }
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll(".signature-field").forEach(enhance);
  }

  window.SignatureFields = { enhanceAll: enhanceAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(); });
  } else {
    enhanceAll();
  }
  // Fields that htmx swaps in later.
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
