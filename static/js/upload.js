// Upload page: drag and drop, previews, one request per file with a real progress bar.
// Without JavaScript the form posts as plain multipart and the server answers with the result.
(function () {
  "use strict";
  var ACCEPTED = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif", "image/avif"];
  var ACCEPTED_EXT = /\.(jpe?g|png|webp|gif|heic|heif|avif)$/i;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = document.getElementById("file");
    var zone = document.getElementById("dropzone");
    var list = document.getElementById("upload-list");
    var progress = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-progress-bar");
    var text = document.getElementById("upload-progress-text");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var queue = [];

    function supported(file) {
      if (file.type) return ACCEPTED.indexOf(file.type) >= 0;
      return ACCEPTED_EXT.test(file.name);
    }

    function add(files) {
      Array.prototype.forEach.call(files, function (file) {
        var item = document.createElement("li");
        var status = document.createElement("span");
        status.className = "status";
        var name = document.createElement("span");
        name.textContent = file.name;
        if (file.type && file.type.indexOf("image/") === 0 && !/hei[cf]/.test(file.type)) {
          var img = document.createElement("img");
          img.alt = "Preview of " + file.name;
          img.src = URL.createObjectURL(file);
          item.appendChild(img);
        }
        item.appendChild(name);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(status);
        var entry = { file: file, item: item, status: status, ok: true };
        if (!supported(file)) {
          entry.ok = false; item.className = "refused";
          status.textContent = "not a supported image, will be skipped";
        } else if (maxBytes && file.size > maxBytes) {
          entry.ok = false; item.className = "refused";
          status.textContent = "larger than the upload limit, will be skipped";
        } else {
          status.textContent = "ready";
        }
        list.appendChild(item);
        queue.push(entry);
      });
    }

    input.addEventListener("change", function () { add(input.files); });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files) add(event.dataTransfer.files);
    });

    function send(entry, caption, onProgress) {
      return new Promise(function (resolve) {
        var data = new FormData();
        data.append("caption", caption);
        data.append("file", entry.file, entry.file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", "/api/v1/photos");
        xhr.setRequestHeader("x-csrftoken", csrfToken());
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) onProgress(event.loaded);
        });
        xhr.addEventListener("load", function () {
          var body = {};
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
          if (xhr.status === 200 || xhr.status === 201) {
            var photo = body.items && body.items[0];
            entry.item.className = "done";
            entry.status.textContent = photo && photo.duplicate ? "already in your archive" : "uploaded";
          } else {
            var detail = (body.errors && body.errors[0] && body.errors[0].detail) || body.detail || ("failed (" + xhr.status + ")");
            entry.item.className = "refused";
            entry.status.textContent = "refused: " + detail;
          }
          resolve();
        });
        xhr.addEventListener("error", function () {
          entry.item.className = "refused";
          entry.status.textContent = "network error, not uploaded";
          resolve();
        });
        xhr.send(data);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var pending = queue.filter(function (e) { return e.ok && !e.sent; });
      if (!pending.length) { text.textContent = "Choose at least one photo."; progress.hidden = false; return; }
      var total = pending.reduce(function (sum, e) { return sum + e.file.size; }, 0) || 1;
      var done = 0;
      var caption = document.getElementById("caption").value;
      var submit = document.getElementById("upload-submit");
      submit.disabled = true;
      progress.hidden = false;
      bar.value = 0;
      var chain = Promise.resolve();
      pending.forEach(function (entry, index) {
        chain = chain.then(function () {
          entry.sent = true;
          entry.status.textContent = "uploading…";
          text.textContent = "Uploading " + (index + 1) + " of " + pending.length;
          return send(entry, caption, function (loaded) {
            bar.value = Math.min(100, Math.round(100 * (done + loaded) / total));
          }).then(function () { done += entry.file.size; bar.value = Math.round(100 * done / total); });
        });
      });
      chain.then(function () {
        bar.value = 100;
        text.textContent = "Finished: " + pending.length + " file" + (pending.length === 1 ? "" : "s") + " processed.";
        submit.disabled = false;
      });
    });
  });
})();
