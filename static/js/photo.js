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

  // Every chosen file is downscaled (a return may carry several photos of the damage).
  function wire(input) {
    if (input.dataset.photoWired) return;
    input.dataset.photoWired = "1";
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      var names = files.map(function (f) { return f.name; }).join("/");
      if (!files.length || input.dataset.downscaled === names) return;
      input.dataset.state = "working";
      Promise.all(files.map(function (file) {
        return downscale(file, Number(input.dataset.downscale) || 1280).then(function (blob) {
          return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
        });
      })).then(function (smaller) {
        var box = new DataTransfer(), bytes = 0;
        smaller.forEach(function (file) { box.items.add(file); bytes += file.size; });
        input.dataset.downscaled = smaller.map(function (f) { return f.name; }).join("/");
        input.files = box.files;
        input.dataset.state = "ready";
        input.dataset.bytes = String(bytes);
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
