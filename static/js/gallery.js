// The gallery's search box: an ARIA combobox suggesting categories, characters and artists
// (from /gallery/tags.json, with their image counts); choosing one sets that filter and reloads
// the gallery, where it shows as a chip. Also the phone-width filter toggle and the sort menu.
// Without JavaScript the form works as it is: typed text searches names, the menus filter.
(function () {
  "use strict";
  var form = document.getElementById("gallery-filters");
  if (!form) return;

  // --- filters behind a button on phones ---------------------------------------------------
  var toggle = document.querySelector(".filters-toggle");
  if (toggle) {
    document.documentElement.classList.add("js-filters");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      form.classList.toggle("open", open);
    });
  }

  // --- a new sort order applies at once ----------------------------------------------------
  var sort = form.querySelector("select[name=sort]");
  if (sort) {
    sort.addEventListener("change", function () {
      var seed = form.querySelector("input[name=seed]");
      if (seed) seed.value = ""; // a new shuffle each time "Random" is chosen
      form.submit();
    });
  }

  // --- autocomplete --------------------------------------------------------------------------
  var box = form.querySelector(".combobox");
  var input = form.querySelector("input[name=q]");
  var list = document.getElementById("tag-suggestions");
  if (!box || !input || !list) return;
  var url = box.getAttribute("data-suggest-url");
  var nsfw = form.querySelector("input[name=show_nsfw]");
  var options = [];
  var active = -1;
  var timer = null;
  var latest = 0;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function close() {
    list.hidden = true;
    list.textContent = "";
    options = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    options.forEach(function (option, i) {
      option.element.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", options[index].element.id);
      options[index].element.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(tag) {
    var select = form.querySelector("select[name=" + tag.kind + "]");
    if (!select) return;
    select.value = tag.id;
    input.value = "";
    close();
    form.submit();
  }

  function show(results) {
    close();
    if (!results.length) return;
    results.forEach(function (tag, i) {
      var item = document.createElement("li");
      item.id = "tag-suggestion-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.className = "suggestion";
      var name = document.createElement("span");
      name.className = "suggestion-name";
      name.textContent = tag.name;
      var meta = document.createElement("span");
      meta.className = "suggestion-meta";
      meta.textContent = tag.kind + " · " + tag.count;
      item.appendChild(name);
      item.appendChild(meta);
      // mousedown, not click: the input would lose focus (and the list close) first.
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(tag);
      });
      list.appendChild(item);
      options.push({ element: item, tag: tag });
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions() {
    var text = input.value.trim();
    if (!text) {
      close();
      return;
    }
    var request = ++latest;
    var query = "?q=" + encodeURIComponent(text) + (nsfw && nsfw.checked ? "&show_nsfw=1" : "");
    fetch(url + query, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        if (request === latest) show(data.results || []);
      })
      .catch(function () { /* no suggestions; the plain search still works */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(options[active].tag);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () {
    window.setTimeout(close, 100);
  });
})();
