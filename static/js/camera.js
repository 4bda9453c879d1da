// Camera scanning for phones: a "Scan with camera" button under each scan field
// ([data-scan]) on devices that have a camera. It opens a preview, reads codes
// from the frames with the browser's BarcodeDetector, or with the vendored
// polyfill (static/vendor/barcode-detector, zxing-cpp in WebAssembly, loaded from
// our own origin only, on first use) where the browser has none, and hands each
// code to the field as a "warehouse:scan" event: wedge.js passes it to the same
// handler as a scanner's keys (app.js queues and sends it).
(function () {
  "use strict";

  var FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39", "itf",
                 "qr_code", "data_matrix"];
  var NEEDED = ["ean_13", "code_128"];  // a native detector without these is no use here
  var FRAME_MS = 150;   // a look at the preview this often
  var GONE_MS = 1000;   // a code out of sight this long counts again when it is back
  var script = document.currentScript;
  var VENDOR = new URL("../vendor/barcode-detector/", script ? script.src : location.href).href;
  var strings = null;
  var polyfill = null;  // Promise of the polyfill's BarcodeDetector class
  var session = null;   // the open camera: {input, panel, video, stream, timer, seen}

  function text(name) {
    if (!strings) {
      var holder = document.getElementById("camera-strings");
      try { strings = JSON.parse(holder.textContent); } catch (e) { strings = {}; }
    }
    return strings[name] || { scan: "Scan with camera", stop: "Close camera",
                              unavailable: "The camera cannot be used." }[name];
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(tag);
    });
  }

  // The polyfill, with its .wasm from our folder: its built-in default is a CDN,
  // which a device in a dead zone cannot reach and the CSP does not allow.
  function loadPolyfill() {
    if (!polyfill) {
      polyfill = loadScript(VENDOR + "ponyfill.js").then(function () {
        var api = window.BarcodeDetectionAPI;
        api.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) {
              return /\.wasm$/.test(path) ? VENDOR + path : prefix + path;
            }
          }
        });
        return api.BarcodeDetector;
      });
      polyfill.catch(function () { polyfill = null; });  // a later try may work
    }
    return polyfill;
  }

  // A detector: the native one when it reads EAN-13 and Code128, else the polyfill.
  function createDetector(options) {
    var native = window.BarcodeDetector && !(options && options.native === false) ? window.BarcodeDetector : null;
    var fromPolyfill = function () {
      return loadPolyfill().then(function (Detector) { return new Detector({ formats: FORMATS }); });
    };
    if (!native || typeof native.getSupportedFormats !== "function") return fromPolyfill();
    return native.getSupportedFormats().then(function (formats) {
      if (!NEEDED.every(function (f) { return formats.indexOf(f) >= 0; })) return fromPolyfill();
      return new native({ formats: FORMATS.filter(function (f) { return formats.indexOf(f) >= 0; }) });
    }, fromPolyfill);
  }

  function hasCamera() {
    var media = navigator.mediaDevices;
    if (!media || !media.getUserMedia || !media.enumerateDevices) return Promise.resolve(false);
    return media.enumerateDevices().then(function (devices) {
      return devices.some(function (d) { return d.kind === "videoinput"; });
    }, function () { return false; });
  }

  // Hand a code to the scan field (or to the page's current one, after a swap).
  function dispatch(input, code) {
    var target = input.isConnected ? input : document.querySelector("[data-scan]");
    if (!target) return;
    target.dispatchEvent(new CustomEvent("warehouse:scan", { detail: { code: code, source: "camera" } }));
  }

  // Each code once while it stays in view; again after it has been away GONE_MS
  // (two of the same item are scanned one after the other).
  function fresh(seen, code, now) {
    var last = seen[code];
    seen[code] = now;
    return last === undefined || now - last > GONE_MS;
  }

  function look(current) {
    if (session !== current) return;
    var next = function () { if (session === current) current.timer = setTimeout(function () { look(current); }, FRAME_MS); };
    if (current.video.readyState < 2 || !current.detector) { next(); return; }
    current.detector.detect(current.video).then(function (found) {
      var now = Date.now();
      found.forEach(function (barcode) {
        if (session === current && barcode.rawValue && fresh(current.seen, barcode.rawValue, now)) {
          dispatch(current.input, barcode.rawValue);
        }
      });
    }).catch(function () { /* a frame that cannot be read: try the next */ }).then(next);
  }

  function panelFor(input) {
    var panel = document.createElement("div");
    panel.className = "camera-panel";
    panel.style.cssText = "display:grid;gap:.5rem;margin:.5rem 0";
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    video.style.cssText = "width:100%;max-height:45vh;background:#000;border-radius:.4rem;object-fit:cover";
    var status = document.createElement("p");
    status.className = "camera-status bad";
    status.hidden = true;
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "button camera-stop";
    stop.textContent = text("stop");
    stop.addEventListener("click", function () { close(); input.focus(); });
    panel.append(video, status, stop);
    return { panel: panel, video: video, status: status };
  }

  function open(input, button) {
    close();
    var parts = panelFor(input);
    button.insertAdjacentElement("afterend", parts.panel);
    button.hidden = true;
    parts.panel.querySelector(".camera-stop").focus();  // not the body: app.js would refocus the field (and its keyboard)
    var current = session = { input: input, button: button, panel: parts.panel, video: parts.video,
                              stream: null, timer: null, seen: {}, detector: null };
    var fail = function () {
      if (session !== current) return;
      parts.status.textContent = text("unavailable");
      parts.status.hidden = false;
      parts.video.hidden = true;
    };
    navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" } } })
      .then(function (stream) {
        if (session !== current) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
        current.stream = stream;
        parts.video.srcObject = stream;
        return parts.video.play().then(function () { return createDetector(); }).then(function (detector) {
          current.detector = detector;
          look(current);
        });
      }).catch(fail);
  }

  function close() {
    var current = session;
    session = null;
    if (!current) return;
    clearTimeout(current.timer);
    if (current.stream) current.stream.getTracks().forEach(function (t) { t.stop(); });
    current.panel.remove();
    current.button.hidden = false;
  }

  function wire(input) {
    if (input.dataset.camera) return;
    input.dataset.camera = "1";
    hasCamera().then(function (yes) {
      if (yes && input.isConnected) addButton(input);
      input.dataset.cameraFound = yes ? "1" : "0";  // the question is answered (tests wait on it)
    });
  }

  function addButton(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button camera-open";
    button.textContent = text("scan");
    button.addEventListener("click", function () { open(input, button); });
    if (input.form) input.form.appendChild(button);
    else input.insertAdjacentElement("afterend", button);
  }

  function wireAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("[data-scan]")) wire(root);
    root.querySelectorAll("[data-scan]").forEach(wire);
  }

  document.addEventListener("DOMContentLoaded", function () { wireAll(document); });
  document.addEventListener("htmx:load", function (event) { wireAll(event.detail.elt); });
  // The camera is not left running behind a hidden tab or a page being left.
  document.addEventListener("visibilitychange", function () { if (document.hidden) close(); });
  window.addEventListener("pagehide", close);

  window.WarehouseCamera = { createDetector: createDetector, loadPolyfill: loadPolyfill,
                             open: open, close: close, vendor: VENDOR };
})();
