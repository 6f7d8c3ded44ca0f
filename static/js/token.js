// Token reveal and copy on the application page. Without JavaScript, "Reveal" is a plain link
// (?reveal=1) and the token can be selected by hand, so the Copy button is only added here.
(function () {
  "use strict";
  var input = document.getElementById("token-value");
  var toggle = document.querySelector("[data-token-toggle]");
  if (!input || !toggle) return;
  var status = document.querySelector("[data-token-status]");
  var mask = document.querySelector("[data-token-mask]");

  function say(text) {
    if (status) status.textContent = text;
  }

  function show(visible) {
    input.type = visible ? "text" : "password";
    toggle.textContent = visible ? "Hide" : "Reveal";
    if (mask) mask.textContent = visible ? input.value : "YOUR_TOKEN";
  }

  toggle.addEventListener("click", function (event) {
    event.preventDefault(); // reveal in place instead of following ?reveal=1
    show(input.type === "password");
  });

  var copy = document.createElement("button");
  copy.type = "button";
  copy.textContent = "Copy";
  copy.setAttribute("data-token-copy", "");
  toggle.insertAdjacentElement("afterend", copy);
  toggle.insertAdjacentText("afterend", " ");
  copy.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { say("Copied."); },
        function () { say("Copy failed: select the token and copy it by hand."); }
      );
      return;
    }
    // Plain HTTP on a public host has no Clipboard API: select and use the legacy command.
    var type = input.type;
    input.type = "text";
    input.select();
    try {
      say(document.execCommand("copy") ? "Copied." : "Select the token and copy it by hand.");
    } catch (e) {
      say("Select the token and copy it by hand.");
    }
    input.type = type;
  });
})();
