// The device page: keep the sync token on this browser (typed once, or brought by
// the admin's link as /device#token=...), check it with the server, and show the
// waiting scans and the ones the server did not accept.
(function () {
  "use strict";

  var strings = {}, box;

  function fmt(template, values) { return window.Pwa.fmt(template, values); }

  function say(text) { document.getElementById("device-state").textContent = text; }

  // A token in the address (fragment, or ?token= as a fallback) is stored, then
  // removed from the address and the history.
  function tokenFromAddress() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    var token = params.get("token") || new URLSearchParams(window.location.search).get("token");
    if (token) history.replaceState(null, "", window.location.pathname);
    return token;
  }

  function check(token) {
    if (!token) {
      say(strings.none);
      document.getElementById("device-forget").hidden = true;
      return Promise.resolve();
    }
    document.getElementById("device-forget").hidden = false;
    say(strings.checking);
    return fetch(window.Pwa.config.deviceState, {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
      credentials: "omit", cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) { say(strings.unknown); box.dataset.state = "unknown"; return; }
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json().then(function (body) {
        var device = body.device;
        box.dataset.state = "registered";
        say(fmt(strings.registered, { name: device.name, id: device.id }));
        return Promise.all([Outbox.setMeta("deviceId", device.id), Outbox.setMeta("deviceName", device.name)]);
      });
    }).catch(function () {
      box.dataset.state = "unchecked";
      return Outbox.getMeta("deviceName").then(function (name) {
        say((name ? fmt(strings.registered, { name: name, id: "?" }) + " " : "") + strings.unreachable);
      });
    });
  }

  function save(token) {
    token = (token || "").trim();
    if (!token) return Promise.resolve();
    return Outbox.setMeta("deviceId", null)
      .then(function () { return Outbox.setMeta("token", token); })
      .then(function () { return check(token); })
      .then(function () {
        if (box.dataset.state !== "registered") return window.Pwa.kick();
        say(document.getElementById("device-state").textContent + " " + strings.saved);
        // Whoever set the device up is signed in on it: told before anything is sent.
        return window.Pwa.recordSignIn().then(function () { window.Pwa.kick(); });
      });
  }

  function forget() {
    return Promise.all(["token", "deviceId", "deviceName"].map(function (k) { return Outbox.setMeta(k, null); }))
      .then(function () { box.dataset.state = "none"; say(strings.forgotten); document.getElementById("device-forget").hidden = true; });
  }

  function showQueue() {
    var list = document.getElementById("device-problems");
    return Promise.all([Outbox.counts(), Outbox.getMeta("lastSync"), Outbox.problems()]).then(function (got) {
      var c = got[0], last = got[1], problems = got[2];
      var line = fmt(window.Pwa.strings.waiting, { n: c.waiting }) + ". " +
        fmt(strings.lastSync, { when: last ? new Date(last.at).toLocaleString() : strings.never,
                                status: last ? last.status : "—" });
      document.getElementById("device-sync").textContent = line;
      var items = problems.map(function (e) {
        var li = document.createElement("li");
        li.className = "card problem " + e.state;
        li.dataset.scanId = e.id;
        var tag = document.createElement("span");
        tag.className = "tag bad";
        tag.textContent = e.state === "conflict" ? window.Pwa.strings.conflict : window.Pwa.strings.rejected;
        var what = document.createElement("span");
        what.textContent = " " + e.code + " × " + e.quantity + " · " + (e.reason || "") + " ";
        var dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "button";
        dismiss.textContent = list.dataset.dismiss;
        dismiss.addEventListener("click", function () { Outbox.dismiss(e.id); });
        li.append(tag, what, dismiss);
        return li;
      });
      if (!items.length) {
        var none = document.createElement("li");
        none.textContent = list.dataset.empty;
        items.push(none);
      }
      list.replaceChildren.apply(list, items);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    box = document.getElementById("device-setup");
    if (!box || !window.Outbox || !window.Pwa) return;
    strings = JSON.parse(box.dataset.strings);
    var fromAddress = tokenFromAddress();
    (fromAddress ? save(fromAddress) : Outbox.getMeta("token").then(check));
    document.getElementById("device-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var field = document.getElementById("device-token");
      save(field.value).then(function () { field.value = ""; });
    });
    document.getElementById("device-forget").addEventListener("click", forget);
    document.getElementById("device-send").addEventListener("click", function () { window.Pwa.kick(); });
    window.addEventListener("outbox:changed", showQueue);
    if (Outbox.channel) Outbox.channel.addEventListener("message", showQueue);
    showQueue();
  });
})();
