// The put-away rules of webapp/receiving/walk.py scan(), for a run kept on the device
// (the JSON of GET /api/v1/putaway/<id>/offline): the next pending task in walking
// order; its suggested bin or another storage bin (an override) first, then its item.
// tests/receiving/test_putaway_rules.py runs the same scans through both and compares.
// A plain script: window.WarehousePutawayRules in a page, module.exports under node.
(function () {
  "use strict";

  var ENGLISH = {
    notReady: "These put-away tasks are not ready.",
    taskDone: "This put-away task was already done.",
    empty: "The barcode is empty.",
    unknown: "Unknown barcode %(code)s.",
    notStorage: "%(code)s is not a storage bin.",
    binFirst: "Scan the bin %(code)s first.",
    wrongItem: "Wrong item: this task is %(sku)s.",
    binOk: "Bin %(code)s. Now scan the item.",
    override: "Bin %(code)s instead of %(suggested)s (override recorded). Now scan the item.",
    putAway: "%(qty)d × %(sku)s put away in %(bin)s (上架)."
  };

  function barcodes() {
    if (typeof window !== "undefined" && window.WarehouseBarcodes) return window.WarehouseBarcodes;
    return require("./barcodes.js");
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function nextTask(run) {
    return run.tasks.filter(function (t) { return t.status === "pending"; })[0] || null;
  }

  // The copy's codes as sets, built once per copy taken (not stored with it).
  var known = { key: null, sets: null };
  function sets(run) {
    var key = run.subject_id + "@" + run.refreshed_at;
    if (known.key !== key) {
      var codes = run.catalog || {};
      known = { key: key, sets: { bins: new Set(run.bins || []), other: new Set(run.other_locations || []),
                                  barcodes: new Set(codes.barcodes || []), skus: new Set(codes.skus || []) } };
    }
    return known.sets;
  }

  // {ok, message, line_id (the task)}; changes the run's copy when ok.
  function judge(run, code, strings) {
    var s = Object.assign({}, ENGLISH, strings || {});
    if (run.status !== "finished") return { ok: false, message: s.notReady };
    var task = nextTask(run);
    if (!task) return { ok: false, message: s.taskDone };
    var out = { line_id: task.task_id };
    var scan = barcodes().readScan(code), codes = sets(run);
    if (!scan.text) return Object.assign(out, { ok: false, message: s.empty });
    if (codes.bins.has(scan.text)) {
      task.location_confirmed = true;
      task.location_code = scan.text;
      task.override = scan.text !== task.suggested.code;
      return Object.assign(out, { ok: true, message: task.override
        ? fmt(s.override, { code: scan.text, suggested: task.suggested.code })
        : fmt(s.binOk, { code: scan.text }) });
    }
    if (codes.other.has(scan.text)) return Object.assign(out, { ok: false, message: fmt(s.notStorage, { code: scan.text }) });
    var product = task.product;
    var mine = product.keys.some(function (k) { return scan.keys.indexOf(k) >= 0; }) || product.sku === scan.text;
    var some = mine || scan.keys.some(function (k) { return codes.barcodes.has(k); }) || codes.skus.has(scan.text);
    if (!some) return Object.assign(out, { ok: false, message: barcodes().reasonOf(scan) || fmt(s.unknown, { code: scan.code || scan.text }) });
    if (!task.location_confirmed) return Object.assign(out, { ok: false, message: fmt(s.binFirst, { code: task.suggested.code }) });
    if (!mine) return Object.assign(out, { ok: false, message: fmt(s.wrongItem, { sku: product.sku }) });
    task.status = "done";
    return Object.assign(out, { ok: true, message: fmt(s.putAway, { qty: task.quantity, sku: product.sku, bin: task.location_code }) });
  }

  var api = { judge: judge, nextTask: nextTask };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else window.WarehousePutawayRules = api;
})();
