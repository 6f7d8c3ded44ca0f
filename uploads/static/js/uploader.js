// The dashboard's uploader: every file goes up with tus (tus-js-client, vendored in
// static/vendor/tus-js-client) to /api/files/tus/ with the user's file-host token, in 5 MB
// chunks. A dropped connection is retried and, when the browser says it is offline, resumed
// once it is back; after a reload, choosing the same file again resumes it (tus-js-client keeps
// each upload's URL in localStorage under a fingerprint of the file). Files come from the picker,
// drag-and-drop or a paste anywhere on the page. Without JavaScript (or without tus support)
// the form posts itself to the page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.tus || !window.tus.isSupported || !window.fetch) return;
  var tus = window.tus;
  var input = document.getElementById("id_files");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("upload-progress");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var CHUNK_SIZE = 5 * 1024 * 1024;
  // Waits before each retry of a failed request (a network error, a 5xx, a 409 while another
  // PATCH still holds the upload, a 429 from the rate limits, whose windows are whole seconds).
  var RETRY_DELAYS = [500, 1000, 2000, 3000, 5000, 10000, 20000, 30000];

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  // tus-js-client's localStorage entries (one per unfinished upload), minus the file password
  // it would otherwise keep there with the other metadata: resuming needs only the URL.
  var baseStorage = tus.defaultOptions.urlStorage;
  var urlStorage = {
    findAllUploads: function () { return baseStorage.findAllUploads(); },
    findUploadsByFingerprint: function (fp) { return baseStorage.findUploadsByFingerprint(fp); },
    removeUpload: function (key) { return baseStorage.removeUpload(key); },
    addUpload: function (fp, upload) {
      var kept = Object.assign({}, upload, { metadata: Object.assign({}, upload.metadata) });
      delete kept.metadata["file-password"];
      return baseStorage.addUpload(fp, kept);
    },
  };
  var storagePrefix = "tus::nekosite-tus-" + form.dataset.user + "-";

  // The form's upload options as tus metadata under the API's header names (uploads/tus.py,
  // METADATA_OPTIONS), so a file uploaded here gets exactly what the plain form would give it.
  // Metadata values are base64 UTF-8: a title in Japanese goes as it is. Text is collapsed to
  // single spaces as the server does with the form.
  function optionMetadata() {
    var f = form.elements, metadata = {};
    function text(name, key) {
      var value = f[name] ? f[name].value.split(/\s+/).join(" ").trim() : "";
      if (value) metadata[key] = value;
    }
    text("expires", "expires");
    text("max_views", "max-views");
    if (f.file_password && f.file_password.value) metadata["file-password"] = f.file_password.value;
    if (f.keep_metadata && f.keep_metadata.checked) metadata["keep-metadata"] = "true";
    text("embed_title", "embed-title");
    if (f.use_embed_color && f.use_embed_color.checked) metadata["embed-color"] = f.embed_color.value;
    text("embed_description", "embed-description");
    return metadata;
  }

  // Which stored upload a file may resume: same user, same file (tus-js-client's name, type,
  // size and modification time), same options. The options enter as a SHA-256, so a password
  // never lands in localStorage; without WebCrypto a changed option simply starts afresh.
  function fingerprintOf(options) {
    var json = JSON.stringify(options);
    if (!window.crypto || !window.crypto.subtle || !window.TextEncoder) return Promise.resolve("");
    return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(json)).then(function (d) {
      return Array.prototype.map.call(new Uint8Array(d), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }

  function button(text, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link " + className;
    b.textContent = text;
    return b;
  }

  function span(className) {
    var s = document.createElement("span");
    s.className = className;
    return s;
  }

  function errorMessage(err) {
    var res = err && err.originalResponse;
    if (!res) return navigator.onLine === false ? "You are offline." : "Network error.";
    var status = res.getStatus(), body = null;
    try { body = JSON.parse(res.getBody()); } catch (e) { body = null; }
    var why = body && body.message ? body.message : "Upload failed (HTTP " + status + ").";
    if (status === 413) why = "Too large or over quota: " + why;
    if (status === 415) why = "File type refused: " + why;
    return why;
  }

  function megabytesPerSecond(bytes, ms) {
    return (bytes / 1048576 / (ms / 1000)).toFixed(1) + " MB/s";
  }

  // --- one file --------------------------------------------------------------------------
  function Item(file, metadata) {
    this.file = file;
    this.metadata = metadata;
    this.upload = null;
    this.state = "queued";
    var li = (this.li = document.createElement("li"));
    li.className = "message upload-row";
    var name = span("upload-name");
    name.textContent = file.name;
    this.bar = document.createElement("progress");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", "Upload progress of " + file.name);
    this.percent = span("upload-percent");
    this.percent.textContent = "0%";
    this.speed = span("upload-speed muted");
    this.status = span("upload-status");
    this.cancelButton = button("Cancel", "upload-cancel");
    this.cancelButton.setAttribute("aria-label", "Cancel the upload of " + file.name);
    this.retryButton = button("Retry", "upload-retry");
    this.retryButton.setAttribute("aria-label", "Retry the upload of " + file.name);
    this.retryButton.hidden = true;
    var self = this;
    this.cancelButton.addEventListener("click", function () { self.cancel(); });
    this.retryButton.addEventListener("click", function () { self.retry(); });
    li.append(name, this.bar, this.percent, this.speed, this.status, this.cancelButton,
              this.retryButton);
    list.appendChild(li);
    this.onOnline = function () { if (self.state === "offline") self.begin(); };
  }

  Item.prototype.setStatus = function (text, className) {
    this.li.className = "message upload-row" + (className ? " " + className : "");
    this.status.textContent = text;
  };

  Item.prototype.start = function (done) {
    this.done = done || function () {};
    if (this.state === "cancelled") return this.finish();
    if (this.file.size > maxBytes) {
      this.fail("Too large: the limit is " + (maxBytes / 1048576) + " MB.");
      return;
    }
    if (this.file.size === 0) {
      this.fail("The file is empty.");
      return;
    }
    var self = this;
    fingerprintOf(this.metadata).then(function (optionsHash) {
      self.upload = self.makeUpload(optionsHash);
      self.begin();
    });
  };

  // Resume this file's stored upload if there is one (a reload, or the same file chosen
  // again), else create a new one.
  Item.prototype.begin = function () {
    var self = this, upload = this.upload;
    this.state = "uploading";
    this.samples = [];
    this.setStatus("");
    this.cancelButton.hidden = false;
    this.retryButton.hidden = true;
    if (upload.url) { upload.start(); return; } // resumes from the server's offset (HEAD)
    upload.findPreviousUploads().then(function (previous) {
      if (self.state !== "uploading") return;
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        self.setStatus("resuming…");
        forgetHint(previous[0].urlStorageKey);
      }
      upload.start();
    });
  };

  Item.prototype.makeUpload = function (optionsHash) {
    var self = this, user = form.dataset.user;
    var metadata = Object.assign(
      { filename: this.file.name, filetype: this.file.type || "application/octet-stream" },
      this.metadata
    );
    return new tus.Upload(this.file, {
      endpoint: new URL(form.dataset.tusUrl, window.location.href).href,
      headers: { token: form.dataset.token },
      metadata: metadata,
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      urlStorage: urlStorage,
      fingerprint: function (file, options) {
        return Promise.resolve(["nekosite-tus", user, file.name, file.type, file.size,
                                file.lastModified, options.endpoint, optionsHash].join("-"));
      },
      // Offline, retrying is pointless: onError waits for the connection instead.
      onShouldRetry: function (err) {
        var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (navigator.onLine === false) return false;
        return status === 0 || status >= 500 || status === 409 || status === 423 || status === 429;
      },
      onProgress: function (sent, total) { self.progress(sent, total); },
      onError: function (err) { self.error(err); },
      onSuccess: function (payload) {
        // tus-js-client 4: the last response is the PATCH that brought the last byte, whose
        // File-Url header is the stored file's link (uploads/api/tus.py).
        var res = payload && payload.lastResponse;
        self.succeed(res ? res.getHeader("File-Url") : null);
      },
    });
  };

  Item.prototype.progress = function (sent, total) {
    var percent = total ? Math.floor((sent / total) * 100) : 0;
    this.bar.value = percent;
    this.percent.textContent = percent + "%";
    // Speed over the last few seconds of samples.
    var now = Date.now();
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 3000) this.samples.shift();
    var first = this.samples[0];
    if (now - first[0] >= 250 && sent > first[1]) {
      this.speed.textContent = megabytesPerSecond(sent - first[1], now - first[0]);
    }
    if (this.status.textContent) this.setStatus("");
  };

  Item.prototype.error = function (err) {
    if (this.state !== "uploading") return;
    if (navigator.onLine === false && !(err && err.originalResponse)) {
      // Keep the upload: it goes on from the server's offset when the browser is back online.
      this.state = "offline";
      this.speed.textContent = "";
      this.setStatus("Offline: the upload resumes when the connection is back.", "warning");
      window.addEventListener("online", this.onOnline, { once: true });
      return;
    }
    this.fail(errorMessage(err));
  };

  Item.prototype.fail = function (why) {
    this.state = "failed";
    this.speed.textContent = "";
    this.setStatus(why, "error");
    this.cancelButton.hidden = true;
    this.retryButton.hidden = !this.upload;
    this.finish();
  };

  Item.prototype.finish = function () {
    var done = this.done;
    this.done = null;
    if (done) done();
  };

  Item.prototype.cancel = function () {
    var previous = this.state;
    this.state = "cancelled";
    window.removeEventListener("online", this.onOnline);
    this.speed.textContent = "";
    this.setStatus("Cancelled.", "warning");
    this.cancelButton.hidden = true;
    this.retryButton.hidden = !this.upload;
    // abort(true) also terminates the upload on the server (DELETE) and forgets its URL.
    if (this.upload && previous !== "queued") this.upload.abort(true).catch(function () {});
    this.finish();
  };

  Item.prototype.retry = function () {
    if (this.state === "uploading") return;
    if (this.state === "cancelled") {
      // The cancelled upload was terminated on the server: start a new one.
      this.state = "queued";
      this.bar.value = 0;
      this.percent.textContent = "0%";
      this.start();
      return;
    }
    this.begin();
  };

  Item.prototype.succeed = function (url) {
    this.state = "done";
    this.bar.value = 100;
    this.percent.textContent = "100%";
    this.speed.textContent = "";
    this.cancelButton.hidden = true;
    this.retryButton.hidden = true;
    this.setStatus("", "success");
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.className = "upload-link";
      this.status.appendChild(link);
      this.copy(url);
    } else {
      this.status.textContent = "Uploaded.";
    }
    document.dispatchEvent(new CustomEvent("nekosite:uploaded", {
      detail: { name: url ? url.split("/").pop() : null, url: url, originalName: this.file.name },
    }));
    refreshSoon();
    this.finish();
  };

  // The link goes to the clipboard at once; when the browser refuses (no permission, the page
  // not focused), a button copies it on a click instead.
  Item.prototype.copy = function (url) {
    var self = this;
    var copied = span("upload-copied");
    function show() {
      copied.textContent = "Copied";
      self.status.appendChild(copied);
      if (self.copyButton) self.copyButton.hidden = true;
    }
    function offer() {
      if (self.copyButton) return;
      self.copyButton = button("Copy link", "upload-copy");
      self.copyButton.addEventListener("click", function () {
        write().then(show, function () {
          window.prompt("Copy the link:", url);
        });
      });
      self.li.appendChild(self.copyButton);
    }
    function write() {
      if (!navigator.clipboard || !navigator.clipboard.writeText) return Promise.reject();
      return navigator.clipboard.writeText(url);
    }
    write().then(show, offer);
  };

  // --- the queue: one file at a time, so the server (and its upload rate limit) sees one
  // upload at a time and the bars fill one after another.
  var queue = [], running = false;
  function pump() {
    if (running) return;
    var item = queue.shift();
    if (!item) return;
    running = true;
    item.start(function () {
      running = false;
      pump();
    });
  }

  function send(files) {
    var metadata = optionMetadata();
    Array.prototype.forEach.call(files, function (file) { queue.push(new Item(file, metadata)); });
    pump();
  }

  // --- the header and the list follow without a reload -----------------------------------
  var refreshTimer = null;
  function refreshSoon() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(refresh, 200);
  }

  function refresh() {
    var usage = document.getElementById("files-usage");
    if (usage && form.dataset.usageUrl) {
      fetch(form.dataset.usageUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) usage.textContent = data.summary; })
        .catch(function () {});
    }
    // The list region is replaced by the same region of a fresh copy of this page.
    var region = document.querySelector("[data-files-list]");
    if (!region) return;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-files-list]");
        if (!fresh) return;
        region.replaceWith(document.importNode(fresh, true));
        document.dispatchEvent(new CustomEvent("nekosite:list-updated"));
      })
      .catch(function () {});
  }

  // --- uploads left unfinished by an earlier visit (a reload, a crash) ---------------------
  // A page cannot reopen a file by itself: say which ones wait, and that choosing the file
  // again resumes it. Discard deletes the partial upload on the server.
  function forgetHint(key) {
    var hint = list.querySelector('[data-storage-key="' + key + '"]');
    if (hint) hint.remove();
  }

  urlStorage.findAllUploads().then(function (stored) {
    stored.filter(function (entry) {
      return entry.urlStorageKey.indexOf(storagePrefix) === 0 && entry.uploadUrl;
    }).forEach(function (entry) {
      var name = (entry.metadata && entry.metadata.filename) || "A file";
      var li = document.createElement("li");
      li.className = "message warning upload-unfinished";
      li.dataset.storageKey = entry.urlStorageKey;
      var text = span("upload-status");
      text.textContent = name + ": unfinished upload. Choose the file again to resume it.";
      var discard = button("Discard", "upload-discard");
      discard.setAttribute("aria-label", "Discard the unfinished upload of " + name);
      discard.addEventListener("click", function () {
        tus.Upload.terminate(entry.uploadUrl, { headers: { token: form.dataset.token } })
          .catch(function () {})
          .then(function () { return urlStorage.removeUpload(entry.urlStorageKey); })
          .then(function () { li.remove(); });
      });
      li.append(text, discard);
      list.appendChild(li);
    });
  });

  // --- where files come from ---------------------------------------------------------------
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) send(e.dataTransfer.files);
  });
  // A pasted screenshot or copied file uploads at once; pasted text goes where it always did.
  document.addEventListener("paste", function (e) {
    var files = e.clipboardData ? e.clipboardData.files : null;
    if (!files || !files.length) return;
    e.preventDefault();
    send(files);
  });
})();
