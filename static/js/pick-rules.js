// The picking rules of webapp/picking/services.py scan(), for a list kept on the
// device (the JSON of GET /api/v1/picklists/<id>/offline): the current task is the
// first pending one in route order; its location code confirms the location; a code
// of its product counts units (never more than needed); location confirmed and every
// unit counted completes the task. tests/outbound/test_offline_rules.py runs the same
// scans through both and compares the answers.
// A plain script: window.WarehousePickRules in a page, module.exports under node.
(function () {
  "use strict";

  var AIM_ID = /^\][A-Za-z][0-9A-Za-z]/;

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
    picked: "%(done)d of %(total)d picked."
  };

  // static/js/barcodes.js holds the server's exact cleaning and lookup rules.
  function barcodes() {
    if (typeof window !== "undefined" && window.WarehouseBarcodes) return window.WarehouseBarcodes;
    if (typeof require === "function") return require("./barcodes.js");
    return null;
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function clean(raw) {
    var lib = barcodes();
    if (lib) return lib.clean(raw);
    return String(raw || "").normalize("NFKC").trim().replace(AIM_ID, "").trim();
  }

  function lookupKeys(code) {
    var lib = barcodes();
    if (lib) return lib.lookupKeys(code);
    var keys = [code];
    if (/^[0-9]+$/.test(code)) {
      var stripped = code.replace(/^0+/, "");
      [8, 12, 13, 14].forEach(function (w) { if (stripped.length <= w) keys.push(stripped.padStart(w, "0")); });
    }
    return keys.filter(function (k, i) { return keys.indexOf(k) === i; });
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

  // The product a code is a barcode of, among the list's products (null if none).
  function productOfBarcode(list, code) {
    var keys = lookupKeys(code);
    for (var i = 0; i < list.tasks.length; i++) {
      var product = list.tasks[i].product;
      if ((product.barcodes || []).some(function (b) { return keys.indexOf(b) >= 0; })) return product;
    }
    return null;
  }

  function isProduct(list, code, product) {
    var found = productOfBarcode(list, code);
    if (found) return found.id === product.id;
    return code === product.sku;
  }

  function wrongMessage(list, code, task, s) {
    if ((list.known_locations || []).indexOf(code) >= 0) {
      return fmt(s.wrongLocation, { code: code, expected: task.location.code });
    }
    if (productOfBarcode(list, code)) return fmt(s.wrongItem, { sku: task.product.sku, name: task.product.name });
    return fmt(s.unknown, { code: code });
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
    if (quantity > remaining) return Object.assign(refused, { message: fmt(s.tooMany, { n: remaining }) });
    task.picked_qty += quantity;
    return complete(list, task, fmt(s.picked, { done: task.picked_qty, total: task.quantity }));
  }

  // Judge one scan {code, quantity} against the list, changing the list for a good
  // scan; answer {ok, message, task_id, finished}. task_id names the task judged
  // against: the server applies the synced scan to that task (or reports a conflict).
  function judge(list, entry, strings) {
    var s = Object.assign({}, ENGLISH, strings || {});
    if (!list) return { ok: false, message: s.notHere };
    var task = currentTask(list);
    if (!task) {
      var tasks = tasksOf(list);
      return { ok: false, message: s.finished, finished: true,
               task_id: tasks.length ? tasks[tasks.length - 1].task_id : undefined };
    }
    var code = clean(entry.code), verdict = { task_id: task.task_id };
    if (!code) return Object.assign(verdict, { ok: false, message: s.empty });
    if (code === task.location.code) {
      task.location_confirmed = true;
      return complete(list, task, fmt(s.located, { code: code }));
    }
    if (isProduct(list, code, task.product)) return count(list, task, entry.quantity, s);
    return Object.assign(verdict, { ok: false, message: wrongMessage(list, code, task, s) });
  }

  // The quantity box as the server reads it: blank is 1, ASCII digits a number, junk 0.
  function quantityOf(text) {
    text = String(text || "").trim();
    if (!text) return 1;
    return /^[0-9]+$/.test(text) ? parseInt(text, 10) : 0;
  }

  var api = { judge: judge, currentTask: currentTask, progress: progress, tasksOf: tasksOf,
              quantityOf: quantityOf, clean: clean, lookupKeys: lookupKeys, fmt: fmt, ENGLISH: ENGLISH };
  if (typeof window !== "undefined") window.WarehousePickRules = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})();
