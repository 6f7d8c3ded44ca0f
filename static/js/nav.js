// Collapsed main navigation on narrow screens. Without JavaScript the links stay visible and wrap.
(function () {
  "use strict";
  var button = document.querySelector(".nav-toggle");
  var links = document.getElementById("nav-links");
  if (!button || !links) return;
  document.documentElement.classList.add("js-nav");
  button.hidden = false;
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    links.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      set(false);
      button.focus();
    }
  });
})();
