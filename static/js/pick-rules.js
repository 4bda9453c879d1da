// The picking rules of webapp/picking/services.py scan(), for a list kept on the
// device (the JSON of GET /api/v1/picklists/<id>/offline): the current task is the
// first pending one in route order; its location code confirms the location; a code
// of its product counts units (never more than needed); location confirmed and every
// unit counted completes the task. tests/outbound/test_offline_rules.py runs the same
// scans through both and compares the answers.
// A plain script: window.WarehousePickRules in a page, module.exports under node.
(function () {
  "use strict";

  // Message templates (translated by the page); the server's English msgids by default.
  var ENGLISH = {
    finished: "The list is finished.",
    notHere: "This pick list is not on this device.",
    empty: "Empty scan.",
    located: "Location %(code)s confirmed.",
    wrongLocation: "Wrong location %(code)s. Go to %(expected)s.",
    wrongItem: "Wrong item. Pick %(sku)s — %(name)s.",
    unknown: "Unknown barcode %(code)s.",
    badQuantity: "Quantity must be a whole number above zero.",
    tooMany: "Too many: only %(n)d more needed.",
    allCounted: "All %(n)d counted: scan the location %(code)s to finish.",
    picked: "%(done)d of %(total)d picked."
  };

  // static/js/barcodes.js holds the server's one parse of a scan (readScan) and its
  // lookup rules: one source for what a code means, on both sides.
  function barcodes() {
    if (typeof window !== "undefined" && window.WarehouseBarcodes) return window.WarehouseBarcodes;
    return require("./barcodes.js");
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function clean(raw) { return barcodes().clean(raw); }
  function lookupKeys(code) { return barcodes().lookupKeys(code); }
  function readScan(raw) { return barcodes().readScan(raw); }

  // What to say of a scan that names nothing: why it is malformed, in the page's
  // language (s.barcode: the templates and AI names, translated), else unknown
  // (refusal() in webapp/catalog/services.py).
  function refusal(scan, s) {
    var words = s.barcode || {};
    if (!scan.problems.length) return fmt(s.unknown, { code: scan.code });
    return scan.problems.map(function (p) {
      var values = Object.assign({}, p.values);
      if (values.name !== undefined && words[values.name]) values.name = words[values.name];
      return barcodes().fmt(words[p.template] || p.template, values);
    }).join(" ");
  }

  // The catalogue's codes as the server sends them (lists) made into sets, once.
  function catalogSets(codes) {
    if (!codes) return null;
    return { barcodes: new Set(codes.barcodes || []), skus: new Set(codes.skus || []) };
  }

  function hasAny(set, keys) {
    return !!set && keys.some(function (key) { return set.has(key); });
  }

  function tasksOf(list) {
    return list.tasks.slice().sort(function (a, b) { return a.sequence - b.sequence; });
  }

  function currentTask(list) {
    return tasksOf(list).filter(function (t) { return t.status === "pending"; })[0] || null;
  }

  function progress(list) {
    var tasks = list.tasks.filter(function (t) { return t.status !== "cancelled"; });
    var done = tasks.filter(function (t) { return t.status !== "pending"; }).length;
    return { done: done, total: tasks.length };
  }

  // What a read scan names, in the server's order (product_for_scan): a barcode in
  // any stored form before a SKU. {id} of a product of the list, {other: true} for one
  // of the catalogue the list lacks, null for a code no product has. `catalog` is
  // {barcodes: Set, skus: Set} of the whole catalogue (see catalogSets).
  function productOf(list, scan, catalog) {
    var keys = scan.keys, i, product;
    for (i = 0; i < list.tasks.length; i++) {
      product = list.tasks[i].product;
      if ((product.barcodes || []).some(function (b) { return keys.indexOf(b) >= 0; })) return { id: product.id };
    }
    if (hasAny(catalog && catalog.barcodes, keys)) return { other: true };
    for (i = 0; i < list.tasks.length; i++) {
      if (list.tasks[i].product.sku === scan.text) return { id: list.tasks[i].product.id };
    }
    if (catalog && catalog.skus.has(scan.text)) return { other: true };
    return null;
  }

  function wrongMessage(list, scan, found, task, s) {
    if ((list.known_locations || []).indexOf(scan.text) >= 0) {
      return fmt(s.wrongLocation, { code: scan.text, expected: task.location.code });
    }
    if (found) return fmt(s.wrongItem, { sku: task.product.sku, name: task.product.name });
    return refusal(scan, s);
  }

  function complete(list, task, message) {
    var finished = false;
    if (task.location_confirmed && task.picked_qty === task.quantity) {
      task.status = "done";
      if (!currentTask(list)) { list.status = "done"; finished = true; }
    }
    return { ok: true, message: message, task_id: task.task_id, finished: finished };
  }

  function count(list, task, quantity, s) {
    var refused = { ok: false, task_id: task.task_id };
    if (typeof quantity !== "number" || !isFinite(quantity) || quantity % 1 || quantity <= 0) {
      return Object.assign(refused, { message: s.badQuantity });
    }
    var remaining = task.quantity - task.picked_qty;
    if (remaining === 0 && !task.location_confirmed) {
      return Object.assign(refused, { message: fmt(s.allCounted, { n: task.quantity, code: task.location.code }) });
    }
    if (quantity > remaining) return Object.assign(refused, { message: fmt(s.tooMany, { n: remaining }) });
    task.picked_qty += quantity;
    return complete(list, task, fmt(s.picked, { done: task.picked_qty, total: task.quantity }));
  }

  // Judge one scan {code, quantity} against the list, changing the list for a good
  // scan; answer {ok, message, task_id, finished}. task_id names the task judged
  // against: the server applies the synced scan to that task (or reports a conflict).
  // `catalog` (see catalogSets) tells another product's code from an unknown one.
  function judge(list, entry, strings, catalog) {
    var s = Object.assign({}, ENGLISH, strings || {});
    if (!list) return { ok: false, message: s.notHere };
    var task = currentTask(list);
    if (!task) {
      var tasks = tasksOf(list);
      return { ok: false, message: s.finished, finished: true,
               task_id: tasks.length ? tasks[tasks.length - 1].task_id : undefined };
    }
    var scan = readScan(entry.code), verdict = { task_id: task.task_id };
    if (!scan.text) return Object.assign(verdict, { ok: false, message: s.empty });
    if (scan.text === task.location.code) {
      task.location_confirmed = true;
      return complete(list, task, fmt(s.located, { code: scan.text }));
    }
    var found = productOf(list, scan, catalog);
    if (found && found.id === task.product.id) return count(list, task, entry.quantity, s);
    return Object.assign(verdict, { ok: false, message: wrongMessage(list, scan, found, task, s) });
  }

  // The quantity box as the server reads it: blank is 1, ASCII digits a number, junk 0.
  function quantityOf(text) {
    text = String(text || "").trim();
    if (!text) return 1;
    return /^[0-9]+$/.test(text) ? parseInt(text, 10) : 0;
  }

  var api = { judge: judge, currentTask: currentTask, progress: progress, tasksOf: tasksOf,
              quantityOf: quantityOf, clean: clean, lookupKeys: lookupKeys, readScan: readScan,
              refusal: refusal, catalogSets: catalogSets, fmt: fmt, ENGLISH: ENGLISH };
  if (typeof window !== "undefined") window.WarehousePickRules = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})();
