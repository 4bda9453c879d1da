// Keyboard-wedge scanning: a handheld's scanner "types" the code into the focused
// field, every key a few milliseconds after the last, then Enter or Tab. A person
// types the same keys tens of milliseconds apart. WarehouseWedge.attach(input, onScan)
// tells the two apart by those gaps and hands over each entry as it ends:
//   onScan(code, {source: "wedge" | "keyboard" | "camera" | ...})
// The field is emptied before onScan runs, so a burst of labels 50 ms apart arrives
// one code at a time, in order, each exactly once. A plain script: window.WarehouseWedge
// in a page, module.exports under node (tests/js/wedge_cases.js).
(function () {
  "use strict";

  var THRESHOLD_MS = 35;  // scanners: 1-20 ms a key; people: 60 ms and more
  var MIN_LENGTH = 4;     // a shorter fast run may be a person's rolled-over keys

  // "wedge" when at least minLength keys came with every gap under the threshold.
  // gapsMs holds one gap per character: to the next character, the last one to Enter/Tab.
  function classifyTiming(gapsMs, thresholdMs, minLength) {
    var threshold = thresholdMs == null ? THRESHOLD_MS : thresholdMs;
    var least = minLength == null ? MIN_LENGTH : minLength;
    if (!gapsMs || gapsMs.length < least) return "keyboard";
    return gapsMs.every(function (gap) { return gap < threshold; }) ? "wedge" : "keyboard";
  }

  // Index of the first key of the fast run that ends at `end` (keys.length: no run).
  function fastRunStart(times, end, threshold) {
    var start = times.length, next = end;
    while (start > 0 && next - times[start - 1] < threshold) {
      start -= 1;
      next = times[start];
    }
    return start;
  }

  function gapsOf(times, end) {
    return times.map(function (t, i) { return (i + 1 < times.length ? times[i + 1] : end) - t; });
  }

  function number(value, fallback) {
    var parsed = Number(value);
    return value != null && value !== "" && isFinite(parsed) ? parsed : fallback;
  }

  // What one entry ending at `end` holds: {code, source, scannerEnd}. The code is
  // always the whole field: a scan is never cut, even when a hiccup (a busy
  // device, a Bluetooth stall) slows one of its keys; such an entry is then
  // recorded as typed. scannerEnd: the entry ends in a fast run, so an Enter or
  // Tab after it came from the scanner, whatever came before.
  function judge(times, value, end, threshold, minLength) {
    var start = fastRunStart(times, end, threshold);
    return {
      code: value.trim(),
      source: classifyTiming(gapsOf(times, end), threshold, minLength),
      scannerEnd: classifyTiming(gapsOf(times.slice(start), end), threshold, minLength) === "wedge"
    };
  }

  function attach(input, onScan, options) {
    var opts = options || {};
    var data = input.dataset || {};
    var threshold = number(opts.thresholdMs, number(data.wedgeGap, THRESHOLD_MS));
    var minLength = number(opts.minLength, number(data.wedgeMin, MIN_LENGTH));
    var clock = opts.now || function () {
      return typeof performance !== "undefined" ? performance.now() : Date.now();
    };
    var keys = [];  // when each key of the entry being typed went down

    function stamp(event) {
      // The event's own time: right even when the page was busy and handles it late.
      return typeof event.timeStamp === "number" && event.timeStamp > 0 ? event.timeStamp : clock();
    }

    function deliver(code, source) {
      if (code) onScan(code, { source: source });
    }

    function finish(event, t) {
      var entry = judge(keys, String(input.value || ""), t, threshold, minLength);
      if (event.key === "Tab" && !entry.scannerEnd) {
        keys = [];  // a person tabbing out: focus moves, what they typed stays
        return;
      }
      event.preventDefault();
      keys = [];
      input.value = "";  // before onScan: the next code starts clean whatever onScan does
      deliver(entry.code, entry.source);
    }

    function onKeydown(event) {
      if (event.isComposing) return;  // an IME is composing: Enter picks a candidate
      var key = event.key;
      if (key === "Enter" || key === "Tab") {
        if (!event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) finish(event, stamp(event));
      } else if ((key && key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) ||
                 key === "Unidentified" || key === "Process") {  // the last two: Android IMEs
        keys.push(stamp(event));
      } else if (key === "Backspace" || key === "Delete") {
        keys = [];  // edited by hand: the field no longer matches the keys seen
      }
    }

    // Scans from elsewhere (the camera) come in as an event on the same field.
    function onScanEvent(event) {
      var detail = event.detail || {};
      deliver(String(detail.code || "").trim(), detail.source || "camera");
    }

    function onPaste() { keys = []; }

    input.addEventListener("keydown", onKeydown);
    input.addEventListener("warehouse:scan", onScanEvent);
    input.addEventListener("paste", onPaste);
    return {
      detach: function () {
        input.removeEventListener("keydown", onKeydown);
        input.removeEventListener("warehouse:scan", onScanEvent);
        input.removeEventListener("paste", onPaste);
      }
    };
  }

  var api = { attach: attach, classifyTiming: classifyTiming, fastRunStart: fastRunStart,
              THRESHOLD_MS: THRESHOLD_MS, MIN_LENGTH: MIN_LENGTH };
  if (typeof window !== "undefined") window.WarehouseWedge = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})();
