// The packing verification rules (复核) of webapp/packing/services.py verify_scan(),
// for an order kept on the device (the JSON of GET /api/v1/orders/<id>/offline):
// a code names a product (any form of its barcode, else its SKU); the first line of
// that product still short of its quantity counts one unit; a product the order has
// no more room for is "too many", one it lacks is a wrong item (the device is given every
// code of the catalogue, kept apart from the order, so it tells a wrong item from an
// unknown code the way the server does). Only an order waiting
// for packing (picked) can be verified. tests/outbound/test_offline_rules.py runs the
// same scans through both and compares the answers.
// A plain script: window.WarehouseVerifyRules in a page, module.exports under node.
(function () {
  "use strict";

  // Message templates (translated by the page); the server's English msgids by default.
  var ENGLISH = {
    notPacking: "This order is not being packed.",
    notHere: "This order is not on this device.",
    unknown: "Unknown barcode %(code)s.",
    tooMany: "Too many: this item is already complete.",
    wrongItem: "Wrong item: not in this order.",
    counted: "%(sku)s: %(done)d of %(total)d.",
    badQuantity: "The quantity must be a whole number from 1 to %(max)d.",
    firstUnit: "Scan one unit of %(sku)s first, then enter the rest.",
    tooManyLeft: "Too many: only %(left)d of %(sku)s left to count."
  };
  var MAX_QTY = 100000;  // services.MAX_VERIFY_QTY

  // A unit count as the server reads it (_quantity): 1 when absent, else 1..MAX_QTY.
  function quantityOf(value) {
    var text = String(value === undefined || value === null || value === "" ? 1 : value).trim();
    if (!/^[0-9]+$/.test(text)) return null;
    var n = parseInt(text, 10);
    return n >= 1 && n <= MAX_QTY ? n : null;
  }

  // The cleaning and lookup rules are the picking ones (static/js/pick-rules.js, which
  // takes them from static/js/barcodes.js): one source for what a code means.
  function pickRules() {
    if (typeof window !== "undefined" && window.WarehousePickRules) return window.WarehousePickRules;
    return require("./pick-rules.js");
  }

  function any(list, keys) {
    return (list || []).some(function (code) { return keys.indexOf(code) >= 0; });
  }

  function has(set, keys) {
    return !!set && keys.some(function (key) { return set.has(key); });
  }

  // What a code names, in the server's order (_product_for): a barcode, in any of its
  // forms, before a SKU. {product: id} for a product of this order, {other: true} for
  // one of the catalogue that the order lacks, {} for a code no product has.
  // `catalog` is {barcodes: Set, skus: Set} of the whole catalogue (see catalogSets).
  function lookUp(order, scan, catalog) {
    var keys = scan.keys, code = scan.text, i, line;
    for (i = 0; i < order.lines.length; i++) {
      if (order.lines[i].product_id && any(order.lines[i].barcodes, keys)) return { product: order.lines[i].product_id };
    }
    if (catalog && has(catalog.barcodes, keys)) return { other: true };
    for (i = 0; i < order.lines.length; i++) {
      line = order.lines[i];
      if (code && line.product_id && (line.product_sku || line.sku) === code) return { product: line.product_id };
    }
    if (code && catalog && catalog.skus.has(code)) return { other: true };
    return {};
  }

  function catalogSets(codes) { return pickRules().catalogSets(codes); }

  function complete(order) {
    return order.lines.every(function (l) { return l.verified_qty === l.quantity; });
  }

  function progress(order) {
    var done = 0, total = 0;
    order.lines.forEach(function (l) { done += l.verified_qty; total += l.quantity; });
    return { done: done, total: total };
  }

  // Judge one scan {code, quantity} against the order, counting the units on a good
  // scan; answer {ok, message, complete}. A quantity above 1 takes the rest of a line
  // whose first unit was scanned, never more than it lacks. `catalog`: see lookUp.
  function judge(order, entry, strings, catalog) {
    var s = Object.assign({}, ENGLISH, strings || {}), rules = pickRules();
    if (!order) return { ok: false, message: s.notHere };
    if (order.status !== "picked") return { ok: false, message: s.notPacking };
    var qty = quantityOf(entry.quantity);
    if (qty === null) return { ok: false, message: rules.fmt(s.badQuantity, { max: MAX_QTY }) };
    var scan = rules.readScan(entry.code), found = lookUp(order, scan, catalog);
    if (found.other) return { ok: false, message: s.wrongItem };
    if (!found.product) return { ok: false, message: rules.refusal(scan, s) };
    var line = order.lines.filter(function (l) {
      return l.product_id === found.product && l.verified_qty < l.quantity;
    })[0];
    if (!line) return { ok: false, message: s.tooMany };
    if (qty > 1 && line.verified_qty === 0) return { ok: false, message: rules.fmt(s.firstUnit, { sku: line.sku }) };
    var left = line.quantity - line.verified_qty;
    if (qty > left) return { ok: false, message: rules.fmt(s.tooManyLeft, { left: left, sku: line.sku }) };
    line.verified_qty += qty;
    return { ok: true, complete: complete(order),
             message: rules.fmt(s.counted, { sku: line.sku, done: line.verified_qty, total: line.quantity }) };
  }

  var api = { judge: judge, quantityOf: quantityOf, complete: complete, progress: progress, lookUp: lookUp, catalogSets: catalogSets,
              ENGLISH: ENGLISH };
  if (typeof window !== "undefined") window.WarehouseVerifyRules = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})();
