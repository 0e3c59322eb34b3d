// Upload page: a drop zone for many files, previews, a caption per photo, files the archive
// cannot take flagged before anything is sent, then one request per file with a real progress
// bar (bytes sent of bytes to send) and a result per file. A file that fails for a passing
// reason (the network, a busy or failing server) is tried again by itself a few times, then
// marked failed and offered to "Retry failed"; a file the server refuses for what it is (its
// format, its size) is marked refused and never resent. Without JavaScript the form posts as
// plain multipart and the server answers with the same per-file result.
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

  // A folder (dropped, or chosen where the browser offers it) is the photos in it and in its
  // folders, in the order of their paths as people sort them (IMG_9 before IMG_10). The
  // computer's own files (.DS_Store, a Mac's "._" copies beside each photo, Thumbs.db,
  // desktop.ini) and folders (a NAS's @eaDir thumbnails, recycle bins) are left out: nobody's
  // photos; so are files the archive does not take (videos, sidecars), counted and said.
  function hiddenName(name) {
    return name.charAt(0) === "." ||
      /^(thumbs\.db|desktop\.ini|@eadir|#recycle|\$recycle\.bin|system volume information|__macosx)$/i.test(name);
  }
  function inHidden(path) {
    return path.split("/").some(function (part) { return part && hiddenName(part); });
  }
  function inPathOrder(found) {
    found.sort(function (a, b) { return a.path.localeCompare(b.path, undefined, { numeric: true }); });
    return found.map(function (f) { return f.file; });
  }

  // A drop's entries when it holds a folder, else null (plain files: the drop's file list is
  // used). The browser gives entries during the drop event only, so they are taken at once.
  function droppedFolders(transfer) {
    var items = transfer && transfer.items;
    if (!items || !items.length || typeof items[0].webkitGetAsEntry !== "function") return null;
    var entries = [];
    for (var i = 0; i < items.length; i++) {
      var entry = items[i].kind === "file" ? items[i].webkitGetAsEntry() : null;
      if (entry) entries.push(entry);
    }
    return entries.some(function (e) { return e.isDirectory; }) ? entries : null;
  }

  // Every file under these entries: resolves {files, unread}, unread counting what the
  // browser could not read (a folder or file without permission, gone since).
  function filesUnder(entries) {
    var found = [];
    var unread = 0;
    function visit(entry) {
      if (hiddenName(entry.name)) return Promise.resolve();
      if (entry.isFile) {
        return new Promise(function (resolve) {
          entry.file(function (file) {
            found.push({ path: entry.fullPath, file: file });
            resolve();
          }, function () { unread += 1; resolve(); });
        });
      }
      if (!entry.isDirectory) return Promise.resolve();
      var reader = entry.createReader();
      // A folder's entries come in batches (a hundred at a time in Chromium) until an empty one.
      function next() {
        return new Promise(function (resolve) {
          reader.readEntries(resolve, function () { unread += 1; resolve([]); });
        }).then(function (batch) {
          if (batch.length) return Promise.all(batch.map(visit)).then(next);
        });
      }
      return next();
    }
    return Promise.all(entries.map(visit)).then(function () {
      return { files: inPathOrder(found), unread: unread };
    });
  }

  // The files of a folder chosen with the folder input, hidden ones left out.
  function chosenFolder(fileList) {
    var found = [];
    Array.prototype.forEach.call(fileList, function (file) {
      var path = file.webkitRelativePath || file.name;
      if (!inHidden(path)) found.push({ path: path, file: file });
    });
    return inPathOrder(found);
  }
  window.photoarchiveUpload.filesUnder = filesUnder;
  window.photoarchiveUpload.chosenFolder = chosenFolder;

  function icon(name) {
    // A copy of the template's inline icon, so previews and the page look alike.
    var svg = document.querySelector("#upload-icons svg.icon-" + name);
    return svg ? svg.cloneNode(true) : document.createElement("span");
  }

  // A square, cropped preview drawn on a canvas: no object URL is needed, so the page's
  // Content-Security-Policy (img-src 'self' data:) stays strict, and big files are decoded
  // at preview size only.
  var PREVIEW_EDGE = 320;
  // Decoded a few at a time, each asked for at a small size: a hundred camera photos chosen
  // on a phone decoded whole and at once (about 48 MB each) would take the tab down.
  var DECODING_AT_ONCE = 2;
  var decoding = 0;
  var toDecode = [];
  function preview(file, thumb) {
    if (typeof createImageBitmap !== "function") return;
    toDecode.push([file, thumb]);
    decodeNext();
  }
  function decodeNext() {
    while (decoding < DECODING_AT_ONCE && toDecode.length) {
      var job = toDecode.shift();
      decoding += 1;
      draw(job[0], job[1]).then(function () {
        decoding -= 1;
        decodeNext();
      });
    }
  }
  function draw(file, thumb) {
    // The width alone is given, so the height keeps the picture's shape; twice the edge
    // leaves enough of a landscape photo's height for the square.
    return createImageBitmap(file, { resizeWidth: 2 * PREVIEW_EDGE, resizeQuality: "medium" }).then(function (bitmap) {
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

  // Sending again. A file is sent up to ATTEMPTS times before it is marked failed; between
  // tries the browser waits what the server asks (Retry-After), else a delay that doubles
  // from a second, give or take half, so that many people cut off together do not all come
  // back at the same moment. A server asking for more than LONGEST_WAIT is not waited for.
  var ATTEMPTS = 4;
  var FIRST_WAIT = 1000;
  var LONGEST_WAIT = 60000;

  function backoff(attempt) {
    return Math.round(FIRST_WAIT * Math.pow(2, attempt - 1) * (0.5 + Math.random()));
  }

  // The answer's Retry-After (seconds or an HTTP date) in milliseconds, or null.
  function retryAfter(xhr) {
    var value = (xhr.getResponseHeader("Retry-After") || "").trim();
    if (/^\d+$/.test(value)) return parseInt(value, 10) * 1000;
    var when = value ? Date.parse(value) : NaN;
    return isNaN(when) ? null : Math.max(0, when - Date.now());
  }

  // Whether an answer that kept nothing may keep the file when it is sent again unchanged:
  // the connection, a busy server, an error on its side. Any other answer is about the file,
  // or about room (507: a quota, a full disk), which a try moments later does not make.
  function passing(status) {
    return status === 0 || status === 408 || status === 429 || (status >= 500 && status !== 507);
  }

  // Answers about the whole upload, not this file: the session ended (401, or 403 for its
  // form token). No file after it could be kept either, so none is sent (on a phone, each
  // would be sent whole before the answer); this one and the rest wait for "Retry failed",
  // once signed in again. (Not 507: a photo too big for what is left of a quota says so
  // alone, and smaller ones after it may still fit; no larger one is sent after it.)
  function halting(status) {
    return status === 401 || status === 403;
  }

  function sleep(milliseconds) {
    return new Promise(function (resolve) { setTimeout(resolve, milliseconds); });
  }

  function seconds(milliseconds) {
    var whole = Math.max(1, Math.round(milliseconds / 1000));
    return whole < 120 ? whole + " s" : Math.round(whole / 60) + " min";
  }

  // A batch token names one Upload: every file of it (and every try of a file, and "Retry
  // failed" later) carries it, so the archive shows the photos together as one post.
  function batchToken() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // One try: resolves {outcome: sent | duplicate | refused | failed, detail, photo, wait}.
  function send(file, caption, batchCaption, batch, onProgress) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("caption", caption);
      // The Upload's own caption, which its post in the feed shows, whatever each photo's is.
      data.append("batch_caption", batchCaption);
      data.append("batch", batch);
      // Who sees the photos: the choice on the page as the file is sent.
      var chosen = document.querySelector('#upload-form input[name="visibility"]:checked');
      if (chosen) data.append("visibility", chosen.value);
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/photos");
      xhr.setRequestHeader("x-csrftoken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText) || {}; } catch (e) { body = {}; }
        var photo = body.items && body.items[0];
        if ((xhr.status === 200 || xhr.status === 201) && photo) {
          var result = body.results && body.results[0];
          resolve({
            outcome: photo.duplicate ? "duplicate" : "sent",
            photo: photo,
            detail: (result && result.detail) || (photo.duplicate ? "Already in your archive." : "Uploaded."),
          });
          return;
        }
        var error = (body.errors && body.errors[0]) || body;
        var detail = error.detail || "The server answered " + xhr.status + ".";
        if (halting(xhr.status)) resolve({ outcome: "failed", detail: detail, wait: null, halt: xhr.status });
        else if (passing(xhr.status)) resolve({ outcome: "failed", detail: detail, wait: retryAfter(xhr) });
        else resolve({ outcome: "refused", detail: detail, full: xhr.status === 507 });
      });
      function cutOff() {
        resolve({ outcome: "failed", detail: "Network error: the connection was lost.", wait: null });
      }
      xhr.addEventListener("error", cutOff);
      xhr.addEventListener("abort", cutOff);
      xhr.addEventListener("timeout", cutOff);
      xhr.send(data);
    });
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
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
    var announce = document.getElementById("upload-announce");
    // The progress line, also read out (upload.html's #upload-announce).
    function say(words) {
      text.textContent = words;
      announce.textContent = words;
    }
    var percent = document.getElementById("upload-progress-percent");
    var summary = document.getElementById("upload-summary");
    var submit = document.getElementById("upload-submit");
    var retry = document.getElementById("upload-retry");
    var done = document.getElementById("upload-done");
    var batchCaption = document.getElementById("caption");
    var captionScope = document.getElementById("caption-scope");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var queue = [];
    var busy = false;

    // With a caption per photo, the batch caption is for the photos left without one.
    if (captionScope) captionScope.textContent = "(optional, for every photo left without its own)";

    function status(entry, message, state) {
      entry.status.textContent = message;
      entry.item.className = "upload-item" + (state ? " " + state : "");
    }

    function removeEntry(entry) {
      queue = queue.filter(function (e) { return e !== entry; });
      entry.item.remove();
      refreshButtons();
      if (!summary.hidden) summarize();
      input.focus();
    }

    function count(outcome) {
      return queue.filter(function (e) { return e.outcome === outcome; }).length;
    }

    function ready() {
      return queue.filter(function (e) { return e.valid && !e.outcome; });
    }

    function label(button, words) {
      button.textContent = "";
      button.appendChild(icon("upload"));
      button.appendChild(document.createTextNode(words));
    }

    function refreshButtons() {
      var waiting = ready().length;
      label(submit, waiting ? "Upload " + plural(waiting, "photo", "photos") : "Upload");
      var failed = count("failed");
      label(retry, "Retry " + failed + " failed");
      retry.hidden = busy || !failed;
    }

    function placeholder() {
      return batchCaption.value.trim() || "Caption (optional)";
    }

    batchCaption.addEventListener("input", function () {
      queue.forEach(function (entry) {
        if (entry.caption) entry.caption.placeholder = placeholder();
      });
    });

    function add(files) {
      if (busy) {  // said, not dropped in silence: the list is the upload's until it ends
        progress.hidden = false;
        say("Wait for this upload to finish, then add more photos.");
        return;
      }
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
        var entry = {
          file: file, item: item, status: state, meter: meter, caption: null,
          valid: true, outcome: null, sentCaption: "", sentBatchCaption: "", batch: "",
        };
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
          entry.valid = false;
          status(entry, problem + " — it will not be sent", "refused");
        } else {
          var caption = document.createElement("textarea");
          caption.className = "upload-caption";
          caption.rows = 2;
          if (batchCaption.maxLength > 0) caption.maxLength = batchCaption.maxLength;
          caption.placeholder = placeholder();
          caption.setAttribute("aria-label", "Caption for " + file.name);
          item.appendChild(caption);
          entry.caption = caption;
          status(entry, humanBytes(file.size) + " · ready", "");
        }
        list.appendChild(item);
        queue.push(entry);
      });
      done.hidden = true;
      refreshButtons();
      // Heard, not only seen in the list: how many came, and how many will not be sent.
      var refused = Array.prototype.filter.call(files, function (file) { return problemWith(file, maxBytes); }).length;
      if (files.length) {
        announce.textContent = plural(files.length, "file", "files") + " added" +
          (refused ? ", " + refused + " of them cannot be uploaded (see the list)" : "") + ".";
      }
    }

    // Where the photos can be seen: the feed never shows private ones, so when any of them is
    // private the link leads to one's profile, which shows its owner all of theirs.
    var feedLink = { href: done.getAttribute("href"), text: done.textContent };
    function pointDone() {
      var anyPrivate = queue.some(function (entry) { return entry.private; });
      var profile = done.getAttribute("data-private-href");
      done.setAttribute("href", anyPrivate && profile ? profile : feedLink.href);
      done.textContent = anyPrivate && profile ? done.getAttribute("data-private-text") : feedLink.text;
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
    // Files from a folder, or word that it held none the archive could be sent.
    function addFromFolder(all, unread) {
      if (busy) {
        add([]);  // says to wait for the upload under way
        return;
      }
      var files = Array.prototype.filter.call(all, function (file) { return !problemWith(file, 0).startsWith("Not a supported"); });
      var left = all.length - files.length;
      var said = (left ? " " + plural(left, "file that is not a photo was", "files that are not photos were") + " left out." : "") +
        (unread ? " " + plural(unread, "file or folder", "files or folders") + " in it could not be read." : "");
      if (files.length) add(files);
      if (!files.length || said) {
        progress.hidden = false;
        percent.textContent = "";
        say((files.length ? plural(files.length, "photo", "photos") + " added from the folder." : "No photos to upload in that folder.") + said);
      }
    }

    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      var folders = droppedFolders(event.dataTransfer);
      if (folders) {
        filesUnder(folders).then(function (found) { addFromFolder(found.files, found.unread); });
      } else if (event.dataTransfer && event.dataTransfer.files) {
        add(event.dataTransfer.files);
      }
    });

    // Choosing a whole folder, where the browser can (a computer's, not a phone's).
    var folderInput = document.getElementById("folder");
    var folderChoice = document.getElementById("folder-choice");
    if (folderInput && folderChoice && "webkitdirectory" in folderInput &&
        window.matchMedia && window.matchMedia("(pointer: fine)").matches) {
      folderChoice.hidden = false;
      document.getElementById("upload-folder").addEventListener("click", function () { folderInput.click(); });
      folderInput.addEventListener("change", function () {
        addFromFolder(chosenFolder(folderInput.files), 0);
        folderInput.value = "";
      });
    }
    // A drop that misses the zone must not navigate away from the page.
    ["dragover", "drop"].forEach(function (type) {
      window.addEventListener(type, function (event) { event.preventDefault(); });
    });

    // Leaving while files are on their way (or waiting to be tried again) would drop them:
    // the browser asks first, and only then.
    function holdOn(event) {
      event.preventDefault();
      event.returnValue = "";
      return "";
    }

    // A file sent until it is kept, refused, or has failed ATTEMPTS times for passing reasons.
    function deliver(entry, caption, onProgress) {
      function attempt(number) {
        status(entry, number === 1 ? "Uploading…" : "Uploading, try " + number + " of " + ATTEMPTS + "…", "sending");
        return send(entry.file, caption, entry.sentBatchCaption, entry.batch, onProgress).then(function (answer) {
          if (answer.outcome !== "failed" || answer.halt || number >= ATTEMPTS) return answer;
          var wait = answer.wait !== null ? answer.wait : backoff(number);
          if (wait > LONGEST_WAIT) {
            answer.detail += " The server asks to wait " + seconds(wait) + ".";
            return answer;
          }
          status(entry, answer.detail + " Trying again in " + seconds(wait) + "…", "retrying");
          return sleep(wait).then(function () { return attempt(number + 1); });
        });
      }
      return attempt(1);
    }

    function openLink(entry, photo) {
      var link = document.createElement("a");
      link.href = "/photos/" + photo.id;
      link.textContent = "Open";
      link.setAttribute("aria-label", "Open " + entry.file.name);
      entry.status.appendChild(document.createTextNode(" · "));
      entry.status.appendChild(link);
    }

    // What the person sees of a file once its tries are over.
    function settle(entry, answer) {
      entry.outcome = answer.outcome;
      entry.detail = answer.detail;
      entry.item.setAttribute("data-outcome", answer.outcome);
      if (answer.outcome === "sent" || answer.outcome === "duplicate") {
        entry.captionKept = answer.photo.caption || "";
        entry.private = answer.photo.visibility === "private";
        status(entry, answer.outcome === "sent" ? "Uploaded" : answer.detail, "done");
        openLink(entry, answer.photo);
        // The caption the photo has now replaces the field: it can be edited on the photo.
        var shown = document.createElement("p");
        shown.className = "upload-caption-kept";
        shown.textContent = entry.captionKept;
        shown.hidden = !entry.captionKept;
        entry.caption.replaceWith(shown);
        entry.caption = null;
      } else if (answer.outcome === "refused") {
        status(entry, "Refused: " + answer.detail, "refused");
        entry.caption.hidden = true;  // it will not be sent again, so neither will its caption
      } else {
        status(entry, "Failed: " + answer.detail + " Not uploaded; it can be sent again.", "failed");
        entry.remove.hidden = false;
      }
    }

    // The whole list told apart: kept, already there, refused (and why), failed.
    function summarize() {
      var lines = [];
      function line(outcome, words) {
        var item = document.createElement("li");
        item.className = outcome;
        item.setAttribute("data-outcome", outcome);
        item.setAttribute("data-count", String(count(outcome)));
        item.textContent = words;
        lines.push(item);
      }
      var sent = count("sent");
      var duplicates = queue.filter(function (e) { return e.outcome === "duplicate"; });
      var refused = queue.filter(function (e) { return e.outcome === "refused"; });
      var failed = count("failed");
      if (sent) line("sent", plural(sent, "photo uploaded", "photos uploaded"));
      if (duplicates.length) {
        var unapplied = duplicates.filter(function (e) {
          return e.sentCaption && e.captionKept !== e.sentCaption;
        }).length;
        line("duplicate", plural(duplicates.length, "was", "were") + " already in your archive" +
          (unapplied ? " (" + plural(unapplied, "kept its", "kept their") + " own caption: yours was not applied)" : ""));
      }
      if (refused.length) {
        line("refused", plural(refused.length, "refused", "refused") + ": " + refused.map(function (e) {
          return e.file.name + " (" + e.detail.replace(/\.$/, "") + ")";
        }).join("; "));
      }
      if (failed) line("failed", plural(failed, "failed", "failed") + " on the way: Retry failed sends " + (failed === 1 ? "it" : "them") + " again");
      summary.textContent = "";
      lines.forEach(function (item) { summary.appendChild(item); });
      summary.hidden = !lines.length;

      // Uploaded counts the photos this upload added; one already there was added before.
      var tried = queue.filter(function (e) { return e.valid && e.outcome; }).length;
      var words = "Done: " + sent + " of " + tried + " uploaded";
      var others = [];
      if (duplicates.length) others.push(duplicates.length + " already in your archive");
      if (refused.length) others.push(refused.length + " refused");
      if (failed) others.push(failed + " failed");
      say(words + (others.length ? "; " + others.join(", ") + "." : "."));
    }

    function run(entries) {
      busy = true;
      var batch = batchToken();
      window.addEventListener("beforeunload", holdOn);
      form.setAttribute("data-finished", "false");
      var total = entries.reduce(function (sum, e) { return sum + e.file.size; }, 0) || 1;
      var finished = 0;
      submit.disabled = true;
      retry.hidden = true;
      done.hidden = true;
      bar.value = 0;
      percent.textContent = "0%";
      entries.forEach(function (entry) {
        entry.outcome = null;
        entry.batch = entry.batch || batch;  // a file sent again stays in its first batch
        entry.item.removeAttribute("data-outcome");
        entry.remove.hidden = true;
        entry.meter.value = 0;
        entry.meter.hidden = false;
        status(entry, "Waiting…", "");
      });

      function show(sentBytes) {
        var value = Math.min(100, Math.round(100 * sentBytes / total));
        if (value > bar.value) bar.value = value;  // a file sent again does not move it back
        percent.textContent = bar.value + "%";
      }

      var chain = Promise.resolve();
      var halted = null;  // the answer that stopped the upload (see halting)
      var noRoom = null;  // the smallest file refused for want of room (507), if any
      batchCaption.readOnly = true;  // what is sent is what the page goes on showing
      entries.forEach(function (entry, index) {
        chain = chain.then(function () {
          if (halted) {
            entry.meter.hidden = true;
            settle(entry, { outcome: "failed", detail: "Not sent: " + halted + "." });
            return;
          }
          if (noRoom && entry.file.size >= noRoom.file.size) {  // it would be sent whole, to be refused
            // (Failed, not refused: if it is in the archive already, Retry finds it there.)
            entry.meter.hidden = true;
            settle(entry, { outcome: "failed", detail: "Not sent: there is no room for it, as there was none for " + noRoom.file.name + ", which is no larger." });
            return;
          }
          say("Uploading " + (index + 1) + " of " + entries.length + "…");
          var own = entry.caption.value.trim();
          entry.caption.readOnly = true;  // edited now, it would be lost: the photo keeps what was sent
          entry.sentCaption = own || batchCaption.value.trim();
          entry.sentBatchCaption = batchCaption.value.trim();
          var best = 0;
          return deliver(entry, entry.sentCaption, function (fraction) {
            best = Math.max(best, fraction);
            entry.meter.value = Math.round(100 * best);
            show(finished + best * entry.file.size);
          }).then(function (answer) {
            finished += entry.file.size;
            entry.meter.hidden = true;
            if (answer.halt) {
              halted = "your session has ended. Sign in again in another tab (this list stays here), then press Retry";
              answer.detail = "Sign in again in another tab (this list stays here), then press Retry.";
            }
            if (answer.full && (!noRoom || entry.file.size < noRoom.file.size)) noRoom = entry;
            if (entry.caption) entry.caption.readOnly = false;
            settle(entry, answer);
            show(finished);
          });
        });
      });
      chain.then(function () {
        batchCaption.readOnly = false;
        bar.value = 100;
        percent.textContent = "100%";
        busy = false;
        window.removeEventListener("beforeunload", holdOn);
        submit.disabled = false;
        summarize();
        refreshButtons();
        done.hidden = !(count("sent") + count("duplicate"));
        pointDone();
        form.setAttribute("data-finished", "true");
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var pending = ready();
      progress.hidden = false;
      if (!pending.length) {
        if (!queue.length) say("Choose at least one photo first.");
        else if (count("failed")) say("Nothing new to upload: “Retry " + count("failed") + " failed” sends the files that failed again.");
        else if (queue.some(function (e) { return e.outcome; }))  // sent before: nothing left
          say("All done: choose or drop more photos to upload them.");
        else say("None of these files can be uploaded.");
        percent.textContent = "";
        input.focus();
        return;
      }
      run(pending);
    });

    retry.addEventListener("click", function () {
      if (busy) return;
      var failed = queue.filter(function (e) { return e.outcome === "failed"; });
      if (failed.length) run(failed);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
