// The supervisor's console: tiles poll themselves (hx-trigger "every Ns"); a poll is
// skipped while the tab is hidden, and every tile refreshes at once when it is shown
// again. Written here because htmx's [condition] filters need eval, which the CSP forbids.
(function () {
  "use strict";
  function hidden() { return document.visibilityState !== "visible"; }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-poll") && hidden()) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (hidden() || !window.htmx) return;
    document.querySelectorAll("[data-poll]").forEach(function (elt) {
      window.htmx.trigger(elt, "console-refresh");
    });
  });
})();
