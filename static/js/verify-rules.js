// The packing verification rules (复核) of webapp/packing/services.py verify_scan(),
// for an order kept on the device (the JSON of GET /api/v1/orders/<id>/offline):
// a code names a product (any form of its barcode, else its SKU); the first line of
// that product still short of its quantity counts one unit; a product the order has
// no more room for is "too many", one it lacks is a wrong item (the copy carries every
// code of the catalogue, so the device tells a wrong item from an unknown code the way
// the server does). Only an order waiting
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
    counted: "%(sku)s: %(done)d of %(total)d."
  };

  // The cleaning and lookup rules are the picking ones (static/js/pick-rules.js, which
  // takes them from static/js/barcodes.js): one source for what a code means.
  function pickRules() {
    if (typeof window !== "undefined" && window.WarehousePickRules) return window.WarehousePickRules;
    return require("./pick-rules.js");
  }

  // The product of the order a code names, or null. A code of a product this order
  // does not hold is null too: the device knows only the order's products.
  function productOf(order, code) {
    var rules = pickRules(), keys = rules.lookupKeys(code), i;
    for (i = 0; i < order.lines.length; i++) {
      if ((order.lines[i].barcodes || []).some(function (b) { return keys.indexOf(b) >= 0; })) {
        return order.lines[i].product_id;
      }
    }
    for (i = 0; i < order.lines.length; i++) {
      if (code && order.lines[i].sku === code && order.lines[i].product_id) return order.lines[i].product_id;
    }
    return null;
  }

  // True when the code is some product's barcode (in any form) or SKU.
  function inCatalog(order, code) {
    if (!code) return false;
    if (!order._catalog) {  // a Set, made once per judging session (not stored)
      Object.defineProperty(order, "_catalog", { value: new Set(order.catalog_codes || []), enumerable: false });
    }
    return pickRules().lookupKeys(code).some(function (key) { return order._catalog.has(key); });
  }

  function complete(order) {
    return order.lines.every(function (l) { return l.verified_qty === l.quantity; });
  }

  function progress(order) {
    var done = 0, total = 0;
    order.lines.forEach(function (l) { done += l.verified_qty; total += l.quantity; });
    return { done: done, total: total };
  }

  // Judge one scan {code} against the order, counting the unit on a good scan;
  // answer {ok, message, complete}.
  function judge(order, entry, strings) {
    var s = Object.assign({}, ENGLISH, strings || {}), rules = pickRules();
    if (!order) return { ok: false, message: s.notHere };
    if (order.status !== "picked") return { ok: false, message: s.notPacking };
    var code = rules.clean(entry.code), product = productOf(order, code);
    if (product === null) {
      if (inCatalog(order, code)) return { ok: false, message: s.wrongItem };
      return { ok: false, message: rules.fmt(s.unknown, { code: code }) };
    }
    var line = order.lines.filter(function (l) {
      return l.product_id === product && l.verified_qty < l.quantity;
    })[0];
    if (!line) return { ok: false, message: s.tooMany };
    line.verified_qty += 1;
    return { ok: true, complete: complete(order),
             message: rules.fmt(s.counted, { sku: line.sku, done: line.verified_qty, total: line.quantity }) };
  }

  var api = { judge: judge, complete: complete, progress: progress, productOf: productOf, ENGLISH: ENGLISH };
  if (typeof window !== "undefined") window.WarehouseVerifyRules = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})();
