// Dashboard uploads: drag-and-drop or the file picker, one progress bar per file, each file
// posted to the nekos.cafe API with the user's token. Without JavaScript the form posts itself.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = document.getElementById("id_files");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("upload-progress");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function row(name) {
    var li = document.createElement("li");
    li.className = "message";
    var label = document.createElement("span");
    label.textContent = name + " ";
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress of " + name);
    var status = document.createElement("span");
    li.append(label, bar, status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function fail(r, text) {
    r.li.className = "message error";
    r.status.textContent = " " + text;
    r.bar.remove();
  }

  // The form's upload options as the API's headers (uploads/options.py), so a file uploaded
  // here gets exactly what the plain form would give it. Text is collapsed to single spaces
  // as the server does.
  function optionHeaders() {
    var f = form.elements, headers = {};
    function text(name, header) {
      var value = f[name] ? f[name].value.split(/\s+/).join(" ").trim() : "";
      if (value) headers[header] = value;
    }
    text("expires", "expires");
    text("max_views", "max-views");
    if (f.file_password && f.file_password.value) headers["file-password"] = f.file_password.value;
    if (f.keep_metadata && f.keep_metadata.checked) headers["keep-metadata"] = "true";
    text("embed_title", "embed-title");
    if (f.use_embed_color && f.use_embed_color.checked) headers["embed-color"] = f.embed_color.value;
    text("embed_description", "embed-description");
    return headers;
  }

  // A header carries printable ASCII only, and no spaces at its ends: other values (a title in
  // Japanese, a password ending in a space) go with the plain form post instead.
  function sendable(headers) {
    return Object.keys(headers).every(function (name) {
      var value = headers[name];
      return /^[\x20-\x7e]*$/.test(value) && value === value.trim();
    });
  }

  // Files go one after another: each bar is shown at once, the server (and its upload rate
  // limit) sees one request at a time. A 429 (more files than RATELIMIT_UPLOAD_RATE allows) is
  // retried after the wait the server names (the body's retry_after, in ms), a few times.
  var MAX_RETRIES = 5;
  function upload(file, r, done, attempt, headers) {
    attempt = attempt || 0;
    if (file.size > maxBytes) {
      fail(r, "Too large: the limit is " + (maxBytes / 1048576) + " MB.");
      done();
      return;
    }
    var data = new FormData();
    data.append("uploadFile", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.apiUrl);
    xhr.setRequestHeader("token", form.dataset.token);
    Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) r.bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status === 200 && body && body.url) {
        r.li.className = "message success";
        r.bar.value = 100;
        var link = document.createElement("a");
        link.href = body.url; link.textContent = body.url;
        r.status.textContent = " ";
        r.status.appendChild(link);
      } else if (xhr.status === 429 && attempt < MAX_RETRIES) {
        var wait = body && body.retry_after ? body.retry_after : 1000;
        r.status.textContent = " waiting for the upload rate limit…";
        r.bar.value = 0;
        window.setTimeout(function () { upload(file, r, done, attempt + 1, headers); }, wait + 50);
        return;
      } else {
        var why = body && body.message ? body.message : "Upload failed (HTTP " + xhr.status + ").";
        if (xhr.status === 413) why = "Too large or over quota: " + why;
        if (xhr.status === 415) why = "File type refused: " + why;
        fail(r, why);
      }
      done();
    });
    xhr.addEventListener("error", function () { fail(r, "Network error."); done(); });
    xhr.send(data);
  }

  // Once a batch is done, offer to refresh the file list below (an automatic reload would
  // wipe the links the user may still want to copy).
  function offerRefresh() {
    if (!list.querySelector("li.success") || document.getElementById("upload-refresh")) return;
    var p = document.createElement("p");
    p.id = "upload-refresh";
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = "Show the new files in the list";
    p.appendChild(link);
    list.insertAdjacentElement("afterend", p);
  }

  function send(files, headers) {
    var queue = Array.prototype.map.call(files, function (file) {
      return { file: file, row: row(file.name) };
    });
    (function next() {
      var item = queue.shift();
      if (item) upload(item.file, item.row, next, 0, headers);
      else offerRefresh();
    })();
  }

  form.addEventListener("submit", function (e) {
    var headers = optionHeaders();
    if (!sendable(headers)) return; // the browser posts the form itself
    e.preventDefault();
    send(input.files, headers);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.style.outline = "3px solid #f0b400"; });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.style.outline = ""; });
  });
  zone.addEventListener("drop", function (e) {
    var headers = optionHeaders();
    if (sendable(headers)) {
      send(e.dataTransfer.files, headers);
    } else {
      input.files = e.dataTransfer.files;
      form.submit();
    }
  });

  document.querySelectorAll(".js-copy").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = "Copied!";
      });
    });
  });
  document.querySelectorAll("form.js-confirm").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
})();
