// The media library (/dashboard/files/): "select all on this page", the count of selected
// files, and new uploads in the list without a reload. The page works without it.
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
  // Rows that arrive after the page loaded get the same copy and confirm buttons as the
  // first ones (which the uploader's script binds as the page loads).
  function bindRows(root) {
    root.querySelectorAll("button.js-copy").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          button.textContent = "Copied!";
        });
      });
    });
    root.querySelectorAll("form.js-confirm").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }
  // The uploader announces each finished file; show the list as the server has it now (same
  // search, sort and page), keeping what was selected.
  var refreshing = null;
  document.addEventListener("nekosite:uploaded", function () {
    if (refreshing) { return; }
    refreshing = window.setTimeout(function () {
      refreshing = null;
      var chosen = {};
      boxes().forEach(function (box) { if (box.checked) { chosen[box.value] = true; } });
      fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("library-results");
          var current = document.getElementById("library-results");
          if (!fresh || !current) { return; }
          current.replaceWith(fresh);
          boxes().forEach(function (box) { box.checked = !!chosen[box.value]; });
          bindRows(fresh);
          enhance();
        })
        .catch(function () { /* the next reload shows them */ });
    }, 300);
  });
  enhance();
})();
