// The outbox: every scan is kept in IndexedDB until the server acknowledges it.
// Shared by the pages and the service worker (importScripts), so no DOM here.
//
// Database "warehouse":
//   outbox  key: scan uuid; the scan + state pending|sending|rejected|conflict + reason
//   lists   key: pick_list_id; pick lists taken offline (the device judges scans from them)
//   orders  key: order_id; orders taken to verify offline at the packing station
//   copies  key: copy_key ("<kind>:<id>"); the copies of every later flow (receipts,
//           manifests, counts...), registered with Outbox.registerCopy
//   meta    key: name; deviceId, token, nextSeq, userId, csrf, lastSync ...
(function (root) {
  "use strict";

  var DB_NAME = "warehouse", DB_VERSION = 3;  // 2: the orders store; 3: the copies store
  var BATCH = 200;                            // scans per request: the server applies these at once
  var BIG_BATCH = 2000;                       // a long offline spell: stored at once, applied by a job
  var LOCK = "warehouse-sync";                // Web Locks: one sender across tabs and the worker
  var WAITING = ["pending", "sending"];
  var ACKNOWLEDGED = ["applied", "duplicate", "stored"];
  // Where the device keeps what it judges a scan against, by the scan's action: the
  // store, the field naming the copy in the scan and in the copy, and the kind of
  // copy (several actions may share one: receiving and inspecting one receipt).
  var COPIES = {
    pick: { store: "lists", key: "pick_list_id", kind: "pick" },
    verify: { store: "orders", key: "order_id", kind: "verify" }
  };
  var config = { scans: "/api/v1/scans" };
  var opening = null;
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("warehouse-outbox") : null;

  function configure(options) { Object.keys(options || {}).forEach(function (k) { config[k] = options[k]; }); }

  // ------------------------------------------------------------ IndexedDB plumbing
  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          db.createObjectStore("outbox", { keyPath: "id" }).createIndex("seq", "seq");
        }
        if (!db.objectStoreNames.contains("lists")) db.createObjectStore("lists", { keyPath: "pick_list_id" });
        if (!db.objectStoreNames.contains("orders")) db.createObjectStore("orders", { keyPath: "order_id" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
        if (!db.objectStoreNames.contains("copies")) db.createObjectStore("copies", { keyPath: "copy_key" });
      };
      request.onsuccess = function () {
        var db = request.result;
        // A newer version (a new app version in another tab) needs us to let go.
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () { opening = null; reject(request.error); };
    });
    return opening;
  }

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Run body(tx) in one transaction; resolve with its result once the transaction commits.
  function transact(stores, mode, body) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(stores, mode), result, failed = null;
        tx.oncomplete = function () { failed ? reject(failed) : resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || failed || new Error("transaction aborted")); };
        Promise.resolve().then(function () { return body(tx); }).then(
          function (value) { result = value; },
          function (error) { failed = error; try { tx.abort(); } catch (e) { /* already done */ } });
      });
    });
  }

  function notify(what) {
    var message = { type: "outbox", what: what || "changed" };
    if (channel) channel.postMessage(message);
    if (typeof root.dispatchEvent === "function" && typeof CustomEvent === "function") {
      root.dispatchEvent(new CustomEvent("outbox:changed", { detail: message }));
    }
  }

  // ------------------------------------------------------------ meta and lists
  function getMeta(key) {
    return transact(["meta"], "readonly", function (tx) { return done(tx.objectStore("meta").get(key)); });
  }

  function setMeta(key, value) {
    return transact(["meta"], "readwrite", function (tx) {
      var store = tx.objectStore("meta");
      return done(value === undefined || value === null ? store.delete(key) : store.put(value, key));
    }).then(function () { notify("meta"); });
  }

  function allMeta() {
    return transact(["meta"], "readonly", function (tx) {
      var store = tx.objectStore("meta"), out = {};
      return Promise.all([done(store.getAllKeys()), done(store.getAll())]).then(function (both) {
        both[0].forEach(function (key, i) { out[key] = both[1][i]; });
        return out;
      });
    });
  }

  // A later flow's scans are judged against a copy kept in the shared "copies" store:
  // registerCopy("receive", { kind: "receipt", key: "subject_id" }) says that a
  // "receive" scan names its receipt in subject_id, as does the receipt's copy.
  function registerCopy(action, options) {
    COPIES[action] = { store: "copies", key: options.key || "subject_id", kind: options.kind || action };
  }

  // The key of copy `id` of this action's kind in its store.
  function copyKey(kind, id) {
    return kind.store === "copies" ? kind.kind + ":" + Number(id) : Number(id);
  }

  // The copies the device judges scans against: pick lists (action "pick"), orders
  // being verified (action "verify"), and the registered kinds in "copies".
  function getCopy(action, id) {
    var kind = COPIES[action];
    return transact([kind.store], "readonly", function (tx) { return done(tx.objectStore(kind.store).get(copyKey(kind, id))); });
  }

  function allCopies(action) {
    var kind = COPIES[action];
    return transact([kind.store], "readonly", function (tx) { return done(tx.objectStore(kind.store).getAll()); })
      .then(function (all) {
        return kind.store !== "copies" ? all : all.filter(function (c) { return c.copy_key.indexOf(kind.kind + ":") === 0; });
      });
  }

  // Store the server's copy. With `ifRev`, only when no scan changed the local copy
  // since the server's was asked for (rev) and none of its scans still waits.
  function putCopy(action, payload, ifRev) {
    var kind = COPIES[action], id = payload[kind.key];
    if (kind.store === "copies") payload.copy_key = copyKey(kind, id);
    return transact([kind.store, "outbox"], "readwrite", function (tx) {
      var copies = tx.objectStore(kind.store);
      return done(copies.get(copyKey(kind, id))).then(function (old) {
        if (ifRev !== undefined && old && (old.rev || 0) !== ifRev) return false;
        return waitingFor(tx, action, id).then(function (count) {
          if (ifRev !== undefined && count) return false;
          payload.rev = ((old && old.rev) || 0) + 1;
          payload.taken_at = (old && old.taken_at) || new Date().toISOString();
          payload.refreshed_at = new Date().toISOString();
          return done(copies.put(payload)).then(function () { return true; });
        });
      });
    }).then(function (stored) { if (stored) notify(kind.store); return stored; });
  }

  function deleteCopy(action, id) {
    var kind = COPIES[action], store = kind.store;
    return transact([store], "readwrite", function (tx) { return done(tx.objectStore(store).delete(copyKey(kind, id))); })
      .then(function () { notify(store); });
  }

  function getList(id) { return getCopy("pick", id); }
  function allLists() { return allCopies("pick"); }
  function putList(payload, ifRev) { return putCopy("pick", payload, ifRev); }
  function deleteList(id) { return deleteCopy("pick", id); }

  // ------------------------------------------------------------ scans
  function uuid() {
    if (root.crypto && typeof root.crypto.randomUUID === "function") return root.crypto.randomUUID();
    var b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // Keep a scan, then judge it, in one transaction: the scan is in the outbox before
  // any verdict is shown, and the list never reflects a scan the outbox lacks.
  // judge(list, entry) -> {ok, message, task_id, ...}; it may change `list`.
  // The copy (list or order) is in `copy` and, for a pick list, in `list` too.
  // A scan with an id the outbox holds already (kept by another tab) is left alone.
  function recordScan(scan, judge) {
    var kind = COPIES[scan.action];
    var stores = kind ? ["outbox", "meta", kind.store] : ["outbox", "meta"];
    return transact(stores, "readwrite", function (tx) {
      var outbox = tx.objectStore("outbox"), meta = tx.objectStore("meta");
      var entry = Object.assign({ device_time: new Date().toISOString() }, scan,
                                { id: scan.id || uuid(), state: "pending", reason: "", local: "" });
      return Promise.all([done(meta.get("nextSeq")), done(outbox.get(entry.id))]).then(function (got) {
        var seq = got[0];
        if (got[1]) return { entry: got[1], again: true };
        entry.seq = seq || 1;
        meta.put(entry.seq + 1, "nextSeq");
        outbox.put(entry);
        if (!judge || !kind || entry[kind.key] === undefined) return { entry: entry };
        var copies = tx.objectStore(kind.store);
        return done(copies.get(copyKey(kind, entry[kind.key]))).then(function (copy) {
          var verdict;
          try {
            verdict = judge(copy, entry);
          } catch (error) {  // a bug must not lose the scan: keep it unjudged
            return { entry: entry, error: error };
          }
          entry.local = verdict.ok ? "ok" : "refused";
          if (!verdict.ok) entry.refused = verdict.message || "refused";  // the server honours it
          if (verdict.task_id !== undefined) entry.task_id = verdict.task_id;
          if (copy) entry.user_id = entry.user_id || copy.user_id;
          if (copy) { copy.rev = (copy.rev || 0) + 1; copies.put(copy); }
          if (entry.user_id) { outbox.put(entry); return { entry: entry, verdict: verdict, copy: copy, list: copy }; }
          // A copy fetched with the device token names nobody: the person signed in here.
          return done(meta.get("userId")).then(function (userId) {
            entry.user_id = userId;
            outbox.put(entry);
            return { entry: entry, verdict: verdict, copy: copy, list: copy };
          });
        });
      });
    }).then(function (result) { notify("scan"); return result; });
  }

  // ------------------------------------------------------------ store first
  // A page keeps each scan in localStorage the moment it is made (synchronous: done
  // before the key's handler returns), then in the outbox; a reload or a closed tab
  // in between leaves it in the journal, and the next page keeps it from there.
  var JOURNAL = "warehouse-scans-in-flight";

  function journal() {
    try { return JSON.parse(root.localStorage.getItem(JOURNAL)) || []; } catch (e) { return []; }
  }

  function writeJournal(scans) {
    try {
      if (scans.length) root.localStorage.setItem(JOURNAL, JSON.stringify(scans));
      else root.localStorage.removeItem(JOURNAL);
    } catch (e) { /* no localStorage (private mode, full): the outbox alone keeps it */ }
  }

  function forget(id) {
    writeJournal(journal().filter(function (s) { return s.id !== id; }));
  }

  // recordScan, with the scan in the journal first.
  function keepScan(scan, judge) {
    var kept = Object.assign({ device_time: new Date().toISOString() }, scan, { id: uuid() });
    writeJournal(journal().concat([kept]));
    return recordScan(kept, judge).then(function (result) { forget(kept.id); return result; });
  }

  // Keep the scans a reload cut off, in the order they were made; judges[action] (if
  // given) judges them against the device's copy, else the server will.
  function recover(judges) {
    return journal().reduce(function (previous, scan) {
      return previous.then(function () {
        return recordScan(scan, judges && judges[scan.action]);
      }).then(function () { forget(scan.id); });
    }, Promise.resolve());
  }

  // True when entry e belongs to the copy `id` of `action`'s kind (any entry without an id).
  function belongs(e, action, id) {
    if (id === undefined) return true;
    var kind = COPIES[action], its = COPIES[e.action];
    return !!its && its.kind === kind.kind && e[kind.key] === Number(id);
  }

  function waitingFor(tx, action, id) {
    var count = 0;
    return new Promise(function (resolve, reject) {
      var cursor = tx.objectStore("outbox").openCursor();
      cursor.onerror = function () { reject(cursor.error); };
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (!c) return resolve(count);
        if (WAITING.indexOf(c.value.state) >= 0 && belongs(c.value, action, id)) count++;
        c.continue();
      };
    });
  }

  function entries() {
    return transact(["outbox"], "readonly", function (tx) { return done(tx.objectStore("outbox").index("seq").getAll()); });
  }

  // {waiting, problems, sending} over the whole outbox, or the scans of one pick
  // list (counts(listId)) or of one order being verified (counts(orderId, "verify")).
  function counts(id, action) {
    return entries().then(function (all) {
      var out = { waiting: 0, problems: 0, sending: 0 };
      all.forEach(function (e) {
        if (!belongs(e, action || "pick", id)) return;
        if (WAITING.indexOf(e.state) >= 0) out.waiting++;
        if (e.state === "sending") out.sending++;
        if (e.state === "rejected" || e.state === "conflict") out.problems++;
      });
      return out;
    });
  }

  function problems() {
    return entries().then(function (all) {
      return all.filter(function (e) { return e.state === "rejected" || e.state === "conflict"; });
    });
  }

  function dismiss(id) {
    return transact(["outbox"], "readwrite", function (tx) {
      var store = tx.objectStore("outbox");
      return done(store.get(id)).then(function (e) {
        if (e && (e.state === "rejected" || e.state === "conflict")) store.delete(id);
      });
    }).then(function () { notify("dismiss"); });
  }

  // ------------------------------------------------------------ sending
  function nextBatch(size) {
    return transact(["outbox"], "readwrite", function (tx) {
      var store = tx.objectStore("outbox"), batch = [];
      return new Promise(function (resolve, reject) {
        var cursor = store.index("seq").openCursor();
        cursor.onerror = function () { reject(cursor.error); };
        cursor.onsuccess = function () {
          var c = cursor.result;
          if (!c || batch.length >= size) return resolve(batch);
          if (WAITING.indexOf(c.value.state) >= 0) {
            c.value.state = "sending";
            c.update(c.value);
            batch.push(c.value);
          }
          c.continue();
        };
      });
    });
  }

  function setState(batch, state) {
    return transact(["outbox"], "readwrite", function (tx) {
      var store = tx.objectStore("outbox");
      return Promise.all(batch.map(function (sent) {
        return done(store.get(sent.id)).then(function (e) { if (e) { e.state = state; store.put(e); } });
      }));
    });
  }

  // Drop what the server acknowledged; mark what it refused; the rest waits again.
  function applyResults(batch, results) {
    var byId = {};
    results.forEach(function (r) { if (r && r.id) byId[r.id] = r; });
    var tally = { acknowledged: 0, problems: 0, again: 0 };
    return transact(["outbox"], "readwrite", function (tx) {
      var store = tx.objectStore("outbox");
      return Promise.all(batch.map(function (sent) {
        return done(store.get(sent.id)).then(function (e) {
          if (!e) return;
          var r = byId[e.id], status = r && r.status;
          if (ACKNOWLEDGED.indexOf(status) >= 0) {
            tally.acknowledged++; store.delete(e.id);
          } else if ((status === "rejected" || status === "conflict") && e.local === "refused") {
            // The device refused it too (a wrong scan): the server has it on record.
            tally.acknowledged++; store.delete(e.id);
          } else if (status === "rejected" || status === "conflict") {
            tally.problems++;
            e.state = status; e.reason = r.reason || ""; e.answered_at = new Date().toISOString();
            store.put(e);
          } else {
            tally.again++; e.state = "pending"; store.put(e);
          }
        });
      }));
    }).then(function () { return tally; });
  }

  function headersFrom(meta) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (meta.token) headers.Authorization = "Bearer " + meta.token;
    else if (meta.csrf) headers["X-CSRFToken"] = meta.csrf.token;
    return headers;
  }

  function wire(e) {
    var scan = { id: e.id, seq: e.seq, device_time: e.device_time, user_id: e.user_id,
                 action: e.action, code: e.code, quantity: e.quantity };
    ["pick_list_id", "task_id", "order_id", "subject_id", "line_id", "payload", "refused"].forEach(function (k) { if (e[k] !== undefined && e[k] !== null) scan[k] = e[k]; });
    return scan;
  }

  // Why a request failed, as one word the pages turn into a message.
  function failure(response, body, meta) {
    if (response.type === "opaqueredirect" || response.status === 0) return "signin";
    if (response.status === 401) return meta.token ? "unauthorized" : "signin";
    if (response.status === 403) return "forbidden";
    if (response.status === 400 && body && /expired|CSRF/i.test(body.error || "")) return "signin";
    return "error";
  }

  function post(batch, meta, left) {
    return fetch(config.scans, {
      method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store",
      headers: headersFrom(meta),
      body: JSON.stringify({ device_id: meta.deviceId || null, pending: left, scans: batch.map(wire) })
    });
  }

  function record(status, extra) {
    var state = Object.assign({ status: status, at: new Date().toISOString() }, extra || {});
    return setMeta("lastSync", state).then(function () { return state; });
  }

  // Send every waiting scan, oldest first, until done or a failure. A backlog larger
  // than one batch goes in big requests: the server stores them in one write and
  // answers at once (10,000 scans in seconds instead of a minute), then applies them.
  function sendAll() {
    var size = BATCH, sent = 0, problems = 0;
    function round() {
      return Promise.all([nextBatch(size), allMeta()]).then(function (got) {
        var batch = got[0], meta = got[1];
        if (!batch.length) return record(sent ? "sent" : "idle", { sent: sent, problems: problems });
        notify("sending");
        return counts().then(function (c) { return post(batch, meta, Math.max(0, c.waiting - batch.length)); })
          .then(function (response) {
            if (response.status === 413 && size > 1) {  // too big for the server: halve and go on
              size = Math.max(1, Math.floor(size / 2));
              return setState(batch, "pending").then(round);
            }
            return response.json().catch(function () { return null; }).then(function (body) {
              if (!response.ok || !body || !Array.isArray(body.results)) {
                return setState(batch, "pending").then(function () {
                  return record(failure(response, body, meta), { httpStatus: response.status });
                });
              }
              return applyResults(batch, body.results).then(function (tally) {
                sent += tally.acknowledged; problems += tally.problems;
                notify("sent");
                if (tally.again) return record("error", { sent: sent });
                return round();
              });
            });
          }, function () {
            return setState(batch, "pending").then(function () { return record("offline", { sent: sent }); });
          });
      });
    }
    return counts().then(function (c) {
      if (c.waiting > BATCH) size = BIG_BATCH;
      return round();
    }).then(function (state) { notify("synced"); return state; });
  }

  // One sender at a time across tabs and the worker; a busy lock means another is at it.
  function send() {
    var locks = root.navigator && root.navigator.locks;
    if (!locks) return sendAll();
    return locks.request(LOCK, { ifAvailable: true }, function (lock) {
      return lock ? sendAll() : { status: "busy" };
    });
  }

  // Run fn while no scan is being sent (waits for the sender to finish).
  function whileIdle(fn) {
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(LOCK, fn) : Promise.resolve().then(fn);
  }

  root.Outbox = {
    configure: configure, open: open, getMeta: getMeta, setMeta: setMeta, allMeta: allMeta,
    getList: getList, allLists: allLists, putList: putList, deleteList: deleteList,
    getCopy: getCopy, allCopies: allCopies, putCopy: putCopy, deleteCopy: deleteCopy,
    registerCopy: registerCopy,
    recordScan: recordScan, keepScan: keepScan, recover: recover, counts: counts, problems: problems,
    dismiss: dismiss, entries: entries,
    send: send, whileIdle: whileIdle, channel: channel, BATCH: BATCH
  };
})(self);
