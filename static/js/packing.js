// The pack form (webapp/packing/templates/packing/_verify.html): "Add a parcel" copies
// the parcel fields, empty, for the next box. Delegated: the form arrives by htmx swap.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-parcel]");
    if (!button) return;
    var form = button.form || button.closest("form");
    var parcels = form.querySelectorAll("fieldset.parcel");
    var copy = parcels[0].cloneNode(true);
    copy.querySelectorAll("input").forEach(function (input) {
      if (input.type !== "hidden") input.value = "";
    });
    var number = copy.querySelector("[data-parcel-number]");
    if (number) number.textContent = String(parcels.length + 1);
    parcels[parcels.length - 1].after(copy);
    var first = copy.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  });
})();
