// Put-away (上架) with no network. "Take offline" on the put-away screen keeps the run
// (GET /api/v1/putaway/<id>/offline: the tasks still to do in walking order, the
// storage bins, the catalogue's codes) on the device through Outbox.registerCopy;
// from then on each scan is kept in the outbox first, judged by putaway-rules.js as
// walk.scan() judges it (the bin, suggested or another storage bin as an override,
// then the item), shown, and sent through the one sync API as a "putaway" scan (subject_id =
// run, line_id = task). A task done by someone else meanwhile comes back as a
// conflict. Offline, /putaway/<id> opens the shell (/offline/putaway).
(function () {
  "use strict";
  if (!window.Outbox || !window.OfflineScreen || !window.WarehousePutawayRules) return;
  Outbox.registerCopy("putaway", { kind: "putaway", key: "subject_id" });

  var S = window.OfflineScreen, h = S.h, say = S.say, rules = window.WarehousePutawayRules;
  var root, strings, runId, copy = null, chain = Promise.resolve();

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)[sd]/g, function (all, k) {
      return values && values[k] !== undefined ? String(values[k]) : all;
    });
  }

  function nextTask(run) { return rules.nextTask(run); }

  // The rules are putaway-rules.js's; the scan names the task it was judged against.
  function judge(run, entry) {
    if (!run) return { ok: false, message: strings.notHere };
    var verdict = rules.judge(run, entry.code, strings);
    if (verdict.line_id) entry.line_id = verdict.line_id;
    return verdict;
  }

  function taskCard(task) {
    var where = task.suggested;
    return h("div", { "class": "task card", "data-task-id": task.task_id }, [
      h("p", { "class": "loc" + (task.location_confirmed ? " confirmed" : ""), text: task.location_confirmed ? task.location_code : where.code }),
      task.override ? h("p", { "class": "notice", text: fmt(strings.overrideOf, { code: where.code }) }) : null,
      h("p", { "class": "where", text: fmt(strings.where, { zone: where.zone, aisle: where.aisle, bay: where.bay, level: where.level }) }),
      h("p", { "class": "product", text: task.product.name || "" }),
      h("p", {}, [h("code", { text: task.product.sku }), " ", h("span", { "class": "big-number", text: String(task.quantity) })]),
      h("p", { "class": "muted", text: strings.from + " " + task.from_code })
    ]);
  }

  function render(verdict) {
    var section = document.getElementById("putaway-task");
    if (!section || !copy) return;
    var total = copy.tasks.length, done = copy.tasks.filter(function (t) { return t.status === "done"; }).length;
    var task = nextTask(copy);
    var bar = h("div", { "class": "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done) },
      [h("span", { style: "width: " + (total ? Math.round(100 * done / total) : 100) + "%" })]);
    section.replaceChildren.apply(section, [
      verdict ? h("p", { "class": verdict.ok ? "scan-ok" : "scan-bad", "data-feedback": verdict.ok ? "ok" : "bad", text: verdict.message }) : null,
      bar, h("p", { "class": "progress-text", text: fmt(strings.progress, { done: done, total: total }) }),
      task ? taskCard(task) : h("div", { "class": "card done", "data-run-done": "1" }, [h("h2", { text: strings.allDone })])
    ].filter(Boolean));
    ["hx-get", "hx-trigger"].forEach(function (a) { section.removeAttribute(a); });
    section.dataset.offline = "1";
    section.dataset.done = String(done);
    if (verdict) S.feedback(verdict.ok);
  }

  // A scan is stored the moment it is made (Outbox.keepScan: the journal, then the
  // outbox, where it is judged), never behind the drawing of the one before, as the
  // pick and verify screens do: a reload right after a burst loses nothing. What it
  // shows follows, in order.
  function onCode(code) {
    var kept = Outbox.keepScan({ action: "putaway", subject_id: runId, code: code, quantity: 1 }, judge);
    kept.catch(function () { /* told below, in its turn */ });
    chain = chain.then(function () { return kept; }).then(function (result) {
      copy = result.copy || copy;
      render(result.verdict);
      Outbox.send();
    }).catch(function (error) { say(String(error)); });
  }

  function mine(entry) { return entry.action === "putaway" && entry.subject_id === runId; }

  function start(stored) {
    copy = stored;
    S.showProblems(mine, strings);
    S.watchOutbox(function () { S.showProblems(mine, strings); });
    S.takeOverScanField(onCode);
    var button = document.getElementById("take-offline");
    if (button) button.hidden = true;
    say(fmt(strings.taken, { number: copy.number }));
    render(null);
  }

  function takeOffline() {
    say(strings.taking);
    S.takeCopy("putaway", root.dataset.offlineUrl.replace("/0/", "/" + runId + "/"), runId)
      .then(start, function (error) { say(fmt(strings.takeFailed, { reason: error.message })); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("offline-putaway");
    if (!root) return;
    strings = JSON.parse(document.getElementById("putaway-strings").textContent);
    var match = /\/putaway\/(\d+)/.exec(location.pathname);
    runId = Number(root.dataset.runId || (match && match[1]));
    var button = document.getElementById("take-offline");
    if (button) button.addEventListener("click", takeOffline);
    if (!runId) return;
    Outbox.recover({ putaway: judge }).then(function () { return Outbox.getCopy("putaway", runId); }).then(function (stored) {
      if (stored) start(stored);
      else if (!root.dataset.runId) say(strings.notHere);
    });
  });
})();
