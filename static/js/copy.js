// Copy buttons: <button data-copy-target="input-id">. Plain JS, no framework.
(function () {
  "use strict";
  function announce(button, text) {
    var status = document.querySelector(".copy-status");
    if (status) { status.textContent = text; }
    var label = button.textContent;
    button.textContent = text === "Copied." ? "Copied" : label;
    window.setTimeout(function () { button.textContent = label; }, 1500);
  }
  function fallbackCopy(input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) { return; }
    var value = input.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(
        function () { announce(button, "Copied."); },
        function () { announce(button, fallbackCopy(input) ? "Copied." : "Press Ctrl+C to copy."); }
      );
    } else {
      announce(button, fallbackCopy(input) ? "Copied." : "Press Ctrl+C to copy.");
    }
  });
})();
