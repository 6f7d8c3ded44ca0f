// The files list: copy-link buttons and delete confirmations. Listeners sit on the document, so
// rows the uploader brings in later (uploader.js refreshes the list region) behave the same.
(function () {
  "use strict";
  function revealCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll(".js-copy").forEach(function (button) { button.hidden = false; });
  }
  revealCopyButtons();
  document.addEventListener("nekosite:list-updated", revealCopyButtons);

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest(".js-copy") : null;
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.textContent = "Copied!";
    });
  });
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.matches && f.matches("form.js-confirm") && !window.confirm(f.dataset.confirm)) {
      e.preventDefault();
    }
  });
})();
