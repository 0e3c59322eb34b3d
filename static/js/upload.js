// Upload page: a drop zone for many files, previews, files the archive cannot take flagged
// before anything is sent, then one request per file with a real progress bar (bytes sent
// of bytes to send) and a result per file. Without JavaScript the form posts as plain
// multipart and the server answers with the same per-file result.
(function () {
  "use strict";
  // What the archive takes is the file input's `accept` (content types and name endings),
  // written by the server from the formats it decodes: read once the page has loaded.
  var acceptedTypes = [];
  var acceptedEndings = [];
  function readAccepted(input) {
    acceptedTypes = [];
    acceptedEndings = [];
    (input.getAttribute("accept") || "").split(",").forEach(function (label) {
      label = label.trim().toLowerCase();
      if (label.charAt(0) === ".") acceptedEndings.push(label);
      else if (label) acceptedTypes.push(label);
    });
  }
  function endsWithAccepted(name) {
    name = name.toLowerCase();
    return acceptedEndings.some(function (ending) {
      return name.length >= ending.length && name.slice(-ending.length) === ending;
    });
  }
  // Browsers cannot draw these, so no preview: the archive converts them on upload.
  var NO_PREVIEW = /hei[cf]/i;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function humanBytes(size) {
    if (size < 1024) return size + " bytes";
    if (size < 1024 * 1024) return (size / 1024).toFixed(0) + " KB";
    return (size / 1024 / 1024).toFixed(1) + " MB";
  }

  // Why the archive would refuse this file, or "" when it looks fine. Exported for tests.
  function problemWith(file, maxBytes) {
    var typeKnown = file.type && file.type !== "application/octet-stream";
    var supported = typeKnown ? acceptedTypes.indexOf(file.type.toLowerCase()) >= 0 : endsWithAccepted(file.name);
    if (!supported) return "Not a supported image (" + (file.type || "unknown type") + ")";
    if (file.size === 0) return "The file is empty";
    if (maxBytes && file.size > maxBytes) return "Larger than the " + humanBytes(maxBytes) + " limit";
    return "";
  }
  window.photoarchiveUpload = { problemWith: problemWith };

  function icon(name) {
    // A copy of the template's inline icon, so previews and the page look alike.
    var svg = document.querySelector("#upload-icons svg.icon-" + name);
    return svg ? svg.cloneNode(true) : document.createElement("span");
  }

  // A square, cropped preview drawn on a canvas: no object URL is needed, so the page's
  // Content-Security-Policy (img-src 'self' data:) stays strict, and big files are decoded
  // at preview size only.
  var PREVIEW_EDGE = 320;
  function preview(file, thumb) {
    if (typeof createImageBitmap !== "function") return;
    createImageBitmap(file).then(function (bitmap) {
      var canvas = document.createElement("canvas");
      canvas.width = canvas.height = PREVIEW_EDGE;
      var side = Math.min(bitmap.width, bitmap.height);
      canvas.getContext("2d").drawImage(
        bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side,
        0, 0, PREVIEW_EDGE, PREVIEW_EDGE);
      if (bitmap.close) bitmap.close();
      canvas.setAttribute("aria-hidden", "true");
      thumb.textContent = "";
      thumb.appendChild(canvas);
    }).catch(function () { /* not decodable here: the icon stays */ });
  }

  function start() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = document.getElementById("file");
    readAccepted(input);
    var zone = document.getElementById("dropzone");
    var list = document.getElementById("upload-list");
    var progress = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-progress-bar");
    var text = document.getElementById("upload-progress-text");
    var percent = document.getElementById("upload-progress-percent");
    var submit = document.getElementById("upload-submit");
    var done = document.getElementById("upload-done");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var queue = [];
    var busy = false;

    function status(entry, message, state) {
      entry.status.textContent = message;
      entry.item.className = "upload-item" + (state ? " " + state : "");
    }

    function removeEntry(entry) {
      queue = queue.filter(function (e) { return e !== entry; });
      entry.item.remove();
      refreshButton();
      input.focus();
    }

    function refreshButton() {
      var ready = queue.filter(function (e) { return e.ok && !e.sent; }).length;
      submit.textContent = "";
      submit.appendChild(icon("upload"));
      submit.appendChild(document.createTextNode(ready ? "Upload " + ready + " photo" + (ready === 1 ? "" : "s") : "Upload"));
    }

    function add(files) {
      if (busy) return;
      Array.prototype.forEach.call(files, function (file) {
        var item = document.createElement("li");
        var thumb = document.createElement("div");
        thumb.className = "upload-thumb";
        var name = document.createElement("span");
        name.className = "upload-name";
        name.textContent = file.name;
        name.title = file.name;
        var state = document.createElement("span");
        state.className = "upload-status";
        var meter = document.createElement("progress");
        meter.max = 100;
        meter.value = 0;
        meter.hidden = true;
        meter.setAttribute("aria-label", "Upload of " + file.name);
        var entry = { file: file, item: item, status: state, meter: meter, ok: true, sent: false };
        var problem = problemWith(file, maxBytes);
        thumb.appendChild(icon("image"));
        if (!problem && !NO_PREVIEW.test(file.type) && !NO_PREVIEW.test(file.name)) preview(file, thumb);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "icon-button remove";
        remove.setAttribute("aria-label", "Remove " + file.name);
        remove.appendChild(icon("close"));
        remove.addEventListener("click", function () { removeEntry(entry); });
        item.appendChild(thumb);
        item.appendChild(name);
        item.appendChild(state);
        item.appendChild(meter);
        item.appendChild(remove);
        entry.remove = remove;
        if (problem) {
          entry.ok = false;
          status(entry, problem + " — it will not be sent", "refused");
        } else {
          status(entry, humanBytes(file.size) + " · ready", "");
        }
        list.appendChild(item);
        queue.push(entry);
      });
      done.hidden = true;
      refreshButton();
    }

    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";  // choosing the same file again is a new choice
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
        zone.classList.add("dragging");
      });
    });
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files) add(event.dataTransfer.files);
    });
    // A drop that misses the zone must not navigate away from the page.
    ["dragover", "drop"].forEach(function (type) {
      window.addEventListener(type, function (event) { event.preventDefault(); });
    });

    function send(entry, caption, onProgress) {
      return new Promise(function (resolve) {
        var data = new FormData();
        data.append("caption", caption);
        data.append("file", entry.file, entry.file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", "/api/v1/photos");
        xhr.setRequestHeader("x-csrftoken", csrfToken());
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        });
        xhr.addEventListener("load", function () {
          var body = {};
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
          var photo = body.items && body.items[0];
          if ((xhr.status === 200 || xhr.status === 201) && photo) {
            status(entry, photo.duplicate ? "Already in your archive" : "Uploaded", "done");
            var link = document.createElement("a");
            link.href = "/photos/" + photo.id;
            link.textContent = "Open";
            link.setAttribute("aria-label", "Open " + entry.file.name);
            entry.status.appendChild(document.createTextNode(" · "));
            entry.status.appendChild(link);
            resolve(true);
          } else {
            var error = (body.errors && body.errors[0]) || body;
            status(entry, "Refused: " + (error.detail || "the server answered " + xhr.status), "refused");
            resolve(false);
          }
        });
        xhr.addEventListener("error", function () {
          status(entry, "Network error: not uploaded", "refused");
          resolve(false);
        });
        xhr.send(data);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var pending = queue.filter(function (e) { return e.ok && !e.sent; });
      progress.hidden = false;
      if (!pending.length) {
        text.textContent = queue.length ? "None of these files can be uploaded." : "Choose at least one photo first.";
        percent.textContent = "";
        input.focus();
        return;
      }
      busy = true;
      var total = pending.reduce(function (sum, e) { return sum + e.file.size; }, 0) || 1;
      var finished = 0;
      var succeeded = 0;
      var caption = document.getElementById("caption").value;
      submit.disabled = true;
      done.hidden = true;
      bar.value = 0;
      percent.textContent = "0%";
      pending.forEach(function (entry) {
        entry.remove.hidden = true;
        entry.meter.hidden = false;
        status(entry, "Waiting…", "");
      });

      function show(sentBytes) {
        var value = Math.min(100, Math.round(100 * sentBytes / total));
        if (value !== bar.value) bar.value = value;
        percent.textContent = value + "%";
      }

      var chain = Promise.resolve();
      pending.forEach(function (entry, index) {
        chain = chain.then(function () {
          entry.sent = true;
          status(entry, "Uploading…", "sending");
          text.textContent = "Uploading " + (index + 1) + " of " + pending.length + "…";
          return send(entry, caption, function (fraction) {
            entry.meter.value = Math.round(100 * fraction);
            show(finished + fraction * entry.file.size);
          }).then(function (ok) {
            finished += entry.file.size;
            entry.meter.hidden = true;
            if (ok) succeeded += 1;
            show(finished);
          });
        });
      });
      chain.then(function () {
        bar.value = 100;
        percent.textContent = "100%";
        var failed = pending.length - succeeded;
        text.textContent = "Done: " + succeeded + " of " + pending.length + " uploaded" + (failed ? ", " + failed + " refused." : ".");
        busy = false;
        submit.disabled = false;
        done.hidden = succeeded === 0;
        refreshButton();
        form.setAttribute("data-finished", "true");
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
