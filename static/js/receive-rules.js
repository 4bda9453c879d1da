// The receiving rules of webapp/receiving/services.py scan(), for a receipt kept on the
// device (the JSON of GET /api/v1/receipts/<id>/offline): a code of a line's product
// counts units on that line (the same lot first, then a line with units still to come);
// more than expected, or an item not on the 明细表, needs a reason; a code no product
// has is refused. tests/receiving/test_receive_rules.py runs the same scans through
// both and compares the answers.
// A plain script: window.WarehouseReceiveRules in a page, module.exports under node.
(function () {
  "use strict";

  var ENGLISH = {
    closed: "Receipt %(number)s is %(state)s.",
    badQuantity: "Quantity must be a whole number from 1 to 100000.",
    unknown: "Unknown barcode %(code)s.",
    over: "More than expected for %(sku)s (%(got)d of %(expected)d received). Give a reason to accept.",
    unexpected: "%(sku)s is not on this receipt. Give a reason to accept it.",
    received: "%(qty)d × %(sku)s received (合格).",
    failed: "%(qty)d × %(sku)s to the defective store (残品库)."
  };
  var OPEN = ["expected", "receiving"];

  function barcodes() {
    if (typeof window !== "undefined" && window.WarehouseBarcodes) return window.WarehouseBarcodes;
    return require("./barcodes.js");
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  // The lines a scan names: a product barcode in any stored form, else its SKU.
  function linesFor(copy, scan) {
    var byCode = copy.lines.filter(function (line) {
      return !line.problem && line.keys.some(function (key) { return scan.keys.indexOf(key) >= 0; });
    });
    if (byCode.length) return byCode;
    return copy.lines.filter(function (line) { return !line.problem && line.sku === scan.text; });
  }

  function pick(lines, lot, lineId) {
    var named = lines.filter(function (line) { return line.line_id === lineId; });
    var pool = (lineId !== undefined && lineId !== null && named.length) ? named : lines.slice();
    pool.sort(function (a, b) {
      var ka = [!!lot && a.lot !== lot ? 1 : 0, a.received_qty >= a.expected_qty ? 1 : 0, a.line_no];
      var kb = [!!lot && b.lot !== lot ? 1 : 0, b.received_qty >= b.expected_qty ? 1 : 0, b.line_no];
      for (var i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
      return 0;
    });
    return pool[0] || null;
  }

  function inCatalog(copy, scan) {
    var codes = copy.catalog || { barcodes: [], skus: [] };
    if (!copy._sets) copy._sets = { barcodes: new Set(codes.barcodes), skus: new Set(codes.skus) };
    return scan.keys.some(function (k) { return copy._sets.barcodes.has(k); }) || copy._sets.skus.has(scan.text);
  }

  // {ok, message, needsReason ('over'|'unexpected'), line_id, lot, expiry}; changes nothing.
  function judge(copy, code, quantity, options, strings) {
    var s = Object.assign({}, ENGLISH, strings || {});
    options = options || {};
    if (OPEN.indexOf(copy.status) < 0) return { ok: false, message: fmt(s.closed, { number: copy.number, state: copy.status }) };
    if (!(Number.isInteger(quantity) && quantity > 0 && quantity <= 100000)) return { ok: false, message: s.badQuantity };
    var scan = barcodes().readScan(code);
    if (!scan.text) return { ok: false, message: "The barcode is empty." };
    var lines = linesFor(copy, scan);
    var line = pick(lines, scan.lot || "", options.line_id);
    var out = { line_id: line ? line.line_id : null, lot: scan.lot || "", expiry: scan.expiry || null };
    if (!line) {
      if (!inCatalog(copy, scan)) return Object.assign(out, { ok: false, message: barcodes().reasonOf(scan) || fmt(s.unknown, { code: scan.code || scan.text }) });
      out.needsReason = "unexpected";
      out.message = fmt(s.unexpected, { sku: scan.text });
    } else if (!line.unexpected && line.received_qty + quantity > line.expected_qty) {
      out.needsReason = "over";
      out.message = fmt(s.over, { sku: line.sku, got: line.received_qty, expected: line.expected_qty });
    }
    if (out.needsReason && !(options.accept_note || "").trim()) return Object.assign(out, { ok: false });
    var failed = options.outcome === "fail";
    delete out.needsReason;  // asked and answered: accepted with the reason
    out.ok = true;
    out.message = fmt(failed ? s.failed : s.received, { qty: quantity, sku: line ? line.sku : scan.text });
    out.keys = scan.keys;
    out.text = scan.text;
    return out;
  }

  // Count an accepted scan into the copy (as services._count does on the server).
  function apply(copy, verdict, quantity, outcome) {
    var line = copy.lines.filter(function (l) { return verdict.line_id !== null && l.line_id === verdict.line_id; })[0];
    if (!line) {
      line = { line_id: null, line_no: copy.lines.length + 1, sku: verdict.text, name: "", expected_qty: 0,
               received_qty: 0, passed_qty: 0, failed_qty: 0, unexpected: true, problem: null, lot: "",
               keys: verdict.keys, barcodes: [] };
      copy.lines.push(line);
    }
    line.received_qty += quantity;
    if (outcome === "fail") line.failed_qty += quantity; else line.passed_qty += quantity;
    if (copy.status === "expected") copy.status = "receiving";
    delete copy._sets;
    return line;
  }

  var api = { judge: judge, apply: apply, ENGLISH: ENGLISH };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (typeof window !== "undefined") window.WarehouseReceiveRules = api;
})();
