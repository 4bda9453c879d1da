// Photos of failed units (检验): downscaled on the device before they are sent, so a
// 12-megapixel camera picture becomes a JPEG of a few hundred KB that the server
// accepts (it checks size and type again) and a slow network carries.
(function () {
  "use strict";
  var QUALITY = 0.8;

  function downscale(file, longest) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    });
  }

  function wire(input) {
    if (input.dataset.photoWired) return;
    input.dataset.photoWired = "1";
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || input.dataset.downscaled === file.name) return;
      input.dataset.state = "working";
      downscale(file, Number(input.dataset.downscale) || 1280).then(function (blob) {
        var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
        var smaller = new File([blob], name, { type: "image/jpeg" });
        var box = new DataTransfer();
        box.items.add(smaller);
        input.dataset.downscaled = name;
        input.files = box.files;
        input.dataset.state = "ready";
        input.dataset.bytes = String(smaller.size);
      }, function () {
        input.dataset.state = "unreadable";  // the server says what is wrong with it
      });
    });
  }

  function wireAll(root) {
    (root.querySelectorAll ? root : document)
      .querySelectorAll("input[type=file][data-downscale]").forEach(wire);
  }
  // Offline, a photo travels inside the scan's payload (at most 256 KB): smaller still.
  function dataUrl(file, longest) {
    return downscale(file, longest || 800).then(function (blob) {
      return new Promise(function (resolve, reject) {
        var reader = new FileReader();
        reader.onload = function () { resolve(reader.result); };
        reader.onerror = function () { reject(reader.error); };
        reader.readAsDataURL(blob);
      });
    });
  }
  window.WarehousePhoto = { downscale: downscale, dataUrl: dataUrl };

  document.addEventListener("DOMContentLoaded", function () { wireAll(document); });
  document.addEventListener("htmx:load", function (event) { wireAll(event.detail.elt); });
})();
