// Token reveal and copy on the application page. Without JavaScript, "Reveal" is a plain link
// (?reveal=1) and the token can be selected by hand.
(function () {
  "use strict";
  var input = document.getElementById("token-value");
  if (!input) return;
  var toggle = document.querySelector("[data-token-toggle]");
  var copy = document.querySelector("[data-token-copy]");
  var status = document.querySelector("[data-token-status]");
  var mask = document.querySelector("[data-token-mask]");

  function show(visible) {
    input.type = visible ? "text" : "password";
    if (toggle) toggle.textContent = visible ? "Hide" : "Reveal";
    if (mask) mask.textContent = visible ? input.value : "YOUR_TOKEN";
  }

  if (toggle) {
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      show(input.type === "password");
    });
  }

  if (copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var done = function () { if (status) status.textContent = "Copied."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          if (status) status.textContent = "Copy failed: select the token and copy it by hand.";
        });
      } else {
        // Plain-HTTP fallback: select the text and use the legacy copy command.
        var type = input.type;
        input.type = "text";
        input.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* select by hand */ }
        input.type = type;
      }
    });
  }
})();
