// The media library (/dashboard/files/): "select all on this page" and the count of selected
// files. The page works without it.
(function () {
  "use strict";
  function boxes() { return document.querySelectorAll("#library-results input.js-select"); }
  function update() {
    var all = boxes(), chosen = 0;
    all.forEach(function (box) { if (box.checked) { chosen += 1; } });
    var toggle = document.getElementById("select-all");
    if (toggle) {
      toggle.checked = all.length > 0 && chosen === all.length;
      toggle.indeterminate = chosen > 0 && chosen < all.length;
    }
    var count = document.querySelector("#library-results .selected-count");
    if (count) { count.textContent = chosen ? chosen + " selected" : ""; }
  }
  function enhance() {
    var label = document.querySelector("#library-results .select-all");
    if (label) { label.hidden = false; }
    update();
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      boxes().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.id === "select-all" || event.target.classList.contains("js-select")) {
      update();
    }
  });
  // The uploader (uploader.js) replaces the list region with a fresh copy after each upload;
  // copy and confirm buttons work there through upload.js's document-level listeners.
  document.addEventListener("nekosite:list-updated", enhance);
  enhance();
})();
