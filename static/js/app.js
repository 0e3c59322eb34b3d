// Progressive enhancement for every page. No inline scripts or handlers anywhere, so the
// Content-Security-Policy can forbid them; every page works without this file too.
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // --- Placeholders ---------------------------------------------------------------------
  // Each photo carries a tiny blurred rendition (a data: URI). Until the real image has
  // loaded it is painted behind it; width/height attributes already reserve the space.
  function placeholders(root) {
    $$("img[data-placeholder]", root).forEach(function (img) {
      var data = img.getAttribute("data-placeholder");
      if (!data || (img.complete && img.naturalWidth)) return;
      img.style.backgroundImage = "url(" + JSON.stringify(data) + ")";
      img.addEventListener("load", function () { img.style.backgroundImage = ""; }, { once: true });
    });
  }

  // --- Times in the reader's time zone ------------------------------------------------------
  // With an automatic zone setting the server writes instants in UTC and marks them
  // data-local; here they are rewritten in this device's zone, in the server's own format
  // (dates.py: "30 Nov 2026, 00:30 PST"). A zone chosen on /settings is rendered by the
  // server and left alone, as are the times photos were taken: the clock where they were
  // taken, offset or not (they have no data-local).
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var numbers = null;

  function zoneLabel(moment) {
    // en-US names American zones (PDT), en-GB European ones (CEST); others get an offset.
    var label = "";
    ["en-US", "en-GB"].some(function (locale) {
      var parts = new Intl.DateTimeFormat(locale, { timeZoneName: "short" }).formatToParts(moment);
      parts.forEach(function (part) { if (part.type === "timeZoneName") label = part.value; });
      return !/^GMT[+-]/.test(label);
    });
    return label.replace(/^GMT(?=[+-])/, "UTC").replace(/^GMT$/, "UTC");
  }

  function localText(moment, style) {
    numbers = numbers || new Intl.DateTimeFormat("en-US", {
      year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
    var at = {};
    numbers.formatToParts(moment).forEach(function (part) { at[part.type] = part.value; });
    var text = Number(at.day) + " " + MONTHS[Number(at.month) - 1] + " " + at.year;
    if (style === "date") return text;
    text += ", " + ("0" + Number(at.hour) % 24).slice(-2) + ":" + at.minute;
    return style === "datetime-zone" ? text + " " + zoneLabel(moment) : text;
  }

  function localTimes(root) {
    if (!window.Intl || !Intl.DateTimeFormat.prototype.formatToParts) return;
    $$("time[data-local]", root).forEach(function (el) {
      var moment = new Date(el.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      try {
        el.textContent = localText(moment, el.getAttribute("data-local"));
        el.removeAttribute("data-local");
      } catch (e) { /* the server's UTC text stays */ }
    });
    $$("[data-browser-zone]", root).forEach(function (el) {
      var zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (!zone) return;
      $("strong", el).textContent = zone;
      el.hidden = false;
    });
    // The share form's "Available until" is a day: it ends in this device's zone.
    $$("input[data-browser-zone-field]", root).forEach(function (el) {
      var zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) el.value = zone;
    });
  }

  // --- Delete forms ask first: htmx asks for its own (hx-confirm), this for the rest --------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    var htmxAsks = window.htmx && form.hasAttribute("hx-confirm");
    if (!question || htmxAsks) return;
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Asked here: the server need not ask again on a page of its own (web/confirming.py).
    var ask = form.querySelector('input[name="ask"]');
    if (ask) ask.value = "0";
  });

  // --- Messages ---------------------------------------------------------------------------
  // Errors from htmx requests land in #messages (role=alert, so they are announced); the
  // next successful request, a click on the message (its Dismiss button) or Esc clears them.
  // Esc is taken here first, so an open photo stays open; the focus goes back where it was.
  var focusBefore = null;
  document.addEventListener("focusin", function (event) {
    var box = $("#messages");
    if (box && event.target instanceof Element && !box.contains(event.target)) focusBefore = event.target;
  });
  function clearMessages(box) {
    var hadFocus = box.contains(document.activeElement);
    box.innerHTML = "";
    if (hadFocus && focusBefore && document.body.contains(focusBefore)) focusBefore.focus();
  }
  // What the person asked for (a click, a form sent) and that never got the archive's
  // answer: said in #messages as the archive's own refusals are. Background requests (the
  // badge, live comments) say nothing: they try again by themselves.
  function askedByPerson(event) {
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    return Boolean(trigger && trigger.isTrusted);
  }
  function sayProblem(words) {
    var box = $("#messages");
    if (!box) return;
    var whole = document.createElement("div");
    whole.className = "error-box";
    var title = document.createElement("h1");
    title.className = "error-title";
    title.textContent = "Not done";
    var text = document.createElement("p");
    text.className = "error-message";
    text.textContent = words;
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "icon-button error-dismiss";
    dismiss.setAttribute("aria-label", "Dismiss this message");
    dismiss.textContent = "×";
    whole.append(title, text, dismiss);
    box.replaceChildren(whole);
  }
  // An error page that is not the archive's (a proxy's 502 while the server restarts) is
  // not swapped in: it would take the place of the button, or of the comment being typed.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 500 || xhr.getResponseHeader("HX-Retarget")) return;
    event.detail.shouldSwap = false;
    if (askedByPerson(event)) sayProblem("The archive did not answer (" + xhr.status + "). Nothing was changed; try again in a moment.");
  });
  function unreachable(event) {
    if (askedByPerson(event)) sayProblem("The archive could not be reached. Check the connection, then try again.");
  }
  document.addEventListener("htmx:sendError", unreachable);
  // A message stays until the person's next request goes through (not a background one:
  // the badge or a live comment would take it away before it was read).
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = $("#messages");
    if (box && event.detail.successful && event.detail.target !== box && askedByPerson(event)) {
      box.innerHTML = "";
    }
  });
  document.addEventListener("htmx:timeout", unreachable);
  document.addEventListener("click", function (event) {
    var box = $("#messages");
    if (box && event.target instanceof Element && box.contains(event.target)) clearMessages(box);
  });
  document.addEventListener("keydown", function (event) {
    var box = $("#messages");
    if (event.key !== "Escape" || event.defaultPrevented || !box || !box.firstElementChild) return;
    event.preventDefault();
    clearMessages(box);
  }, true);

  // An error page's "Go back" returns through the history, so a form comes back as it was
  // typed; without script its link is the page the person came from.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("[data-go-back]");
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });

  // --- Copy link ------------------------------------------------------------------------------
  // Beside a read-only field holding a link to send (a share link, an invitation, a password
  // reset): the clipboard where the browser offers it (https, or this machine), else the
  // field's text selected and copied the older way; the status says which happened.
  function copyButtons(root) {
    $$("button[data-copies]", root).forEach(function (button) { button.hidden = false; });
  }

  // The status is emptied first, so that a second copy is announced again.
  function copied(button, worked) {
    var status = button.parentNode && $(".copy-status", button.parentNode);
    if (worked) button.focus();  // else the field keeps focus, its text selected to copy
    if (!status) return;
    status.textContent = "";
    window.clearTimeout(button.copyTimer);
    window.setTimeout(function () {
      status.textContent = worked ? "Copied." : "Select the link and copy it.";
      button.copyTimer = window.setTimeout(function () { status.textContent = ""; }, 4000);
    }, 50);
  }

  // The field's whole text selected (setSelectionRange: select() alone selects nothing in
  // a read-only field on some phones) and copied, within the click that asked for it.
  function copyByHand(field) {
    field.focus();
    field.setSelectionRange(0, field.value.length);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("button[data-copies]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copies"));
    if (!field) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { copied(button, true); },
        function () { copied(button, copyByHand(field)); }
      );
    } else {
      copied(button, copyByHand(field));
    }
  });

  // --- Live updates (Server-Sent Events from /events) -------------------------------------
  var pendingPhotos = {};

  function pendingCount() { return Object.keys(pendingPhotos).length; }

  function showNewPhotosBar() {
    var button = $("#new-photos-button");
    if (!button) return;
    var count = pendingCount();
    if (!count) { button.hidden = true; return; }
    $("#new-photos-text").textContent = plural(count, "new photo", "new photos");
    button.hidden = false;
  }

  function loadNewPhotos(event) {
    if (!window.htmx) { location.reload(); return; }
    window.htmx.ajax("GET", "/", { target: "#feed-items", select: "#feed-items", swap: "outerHTML", event: event }).then(function () {
      pendingPhotos = {};
      showNewPhotosBar();
      var empty = $("#feed-empty");
      if (empty) empty.remove();
      window.scrollTo({ top: 0 });
      var first = $("#feed-items .card .owner");
      if (first) first.focus();
    });
  }

  function setCount(photoId, selector, attribute, value, one, many) {
    $$(".like-form[data-photo-id='" + photoId + "'] " + selector).forEach(function (el) {
      el.setAttribute(attribute, String(value));
      el.textContent = plural(value, one, many);
    });
  }

  // A group's card in the feed sums its photos' likes and comments: a photo of its mosaic
  // keeps its own counts, so that a new one moves the sum by the difference.
  function setBatchTotal(photoId, kind, value, one, many) {
    var tile = document.getElementById("tile-" + photoId);
    var total = tile && $(".batch-" + kind, tile.closest(".batch-card"));
    var before = tile ? Number(tile.getAttribute("data-" + kind)) : NaN;
    if (!total || isNaN(before) || before === value) return;
    tile.setAttribute("data-" + kind, String(value));
    var sum = Math.max(0, Number(total.getAttribute("data-count")) + value - before);
    total.setAttribute("data-count", String(sum));
    total.textContent = plural(sum, one, many);
  }

  function refreshThread(photoId) {
    $$("#thread-" + photoId).forEach(function (thread) {
      var view = thread.getAttribute("data-view") || "card";
      // The window's thread keeps its forms' flag (their answers keep its field's own id).
      var modal = thread.getAttribute("data-modal") === "1" ? "&modal=1" : "";
      // Each thread itself: the photo's window over the feed repeats the card's ids.
      window.htmx.ajax("GET", "/photos/" + photoId + "/comments?view=" + view + modal, {
        target: thread, select: "#thread-" + photoId, swap: "outerHTML"
      });
    });
  }

  // A photo changed (its caption, who may see it, its turn or date taken): its page is
  // fetched with this viewer's own rights. Gone for them, it leaves the feed and grids, as a
  // deleted one does; else its look and dates follow (refreshLook), and its caption shows on
  // the feed's cards and its own caption block (unless being edited here).
  // The latest question asked about each photo: an older answer arriving after it is dropped.
  var asked = {};

  function refreshPhoto(photoId) {
    var cards = $$(".card#photo-" + photoId);
    var shownHere = cards.length || pendingPhotos[photoId] || document.getElementById("caption-" + photoId) ||
      document.getElementById("grid-" + photoId) || document.getElementById("tile-" + photoId);
    if (!shownHere) return;
    var turn = asked[photoId] = (asked[photoId] || 0) + 1;
    fetch("/photos/" + photoId, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (turn !== asked[photoId]) return null;
        if (response.status === 404) { removePhoto(photoId); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html || turn !== asked[photoId]) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("caption-" + photoId);
        var words = fresh && $(".caption", fresh);
        if (fresh) cards.forEach(function (card) { setCardCaption(card, words ? words.textContent : ""); });
        try {
          refreshLook(photoId, page);
          refreshDateField(photoId, page);
        } catch (e) { /* the next page load shows it */ }
        if (!fresh) return;
        var shown = document.getElementById("caption-" + photoId);
        if (!shown || $("details[open]", shown) || shown.contains(document.activeElement)) return;
        var adopted = document.importNode(fresh, true);
        shown.replaceWith(adopted);
        if (window.htmx) window.htmx.process(adopted);
      })
      .catch(function () { /* the next page load shows it */ });
  }

  // The photo's pictures here, wherever they show: its card, its own page, grids, batch tiles.
  function picturesOf(photoId) {
    return $$(".card#photo-" + photoId + " .card-image img, .viewer#photo-" + photoId + " .viewer-image img, #grid-" + photoId + " img, #tile-" + photoId + " img");
  }

  // What the fetched page says of the photo's look: its pictures' addresses (a turn is in
  // them: the old ones still show the old way), shape, placeholder and alt text (its caption,
  // or who took it), and its dates (a new date taken, or none).
  function refreshLook(photoId, page) {
    var viewer = page.querySelector(".viewer#photo-" + photoId);
    var picture = viewer && $(".viewer-image img", viewer);
    if (!picture) return;
    var version = /[?&]v=([^&\s,]+)/.exec(picture.getAttribute("src") || "");
    var address = new RegExp("(/media/" + photoId + "/[a-z]+\\?v=)[^&\\s,\"]+", "g");
    var wide = picture.getAttribute("width"), high = picture.getAttribute("height");
    function readdress(el, name) {
      var value = el.getAttribute(name);
      if (value && version) el.setAttribute(name, value.replace(address, "$1" + version[1]));
    }
    picturesOf(photoId).forEach(function (img) {
      readdress(img, "src");
      img.setAttribute("alt", picture.getAttribute("alt") || "");
      img.setAttribute("data-placeholder", picture.getAttribute("data-placeholder") || "");
      var w = Number(img.getAttribute("width")), h = Number(img.getAttribute("height"));
      if (img.closest(".card-image, .viewer-image")) {
        // Sized as the preview is, with the same choice of files (templates/_picture.html),
        // as the fetched page's picture: a quarter turn changes the files' widths too.
        img.setAttribute("srcset", picture.getAttribute("srcset") || "");
        img.setAttribute("width", wide);
        img.setAttribute("height", high);
      } else if (w !== h && (w > h) !== (Number(wide) > Number(high))) {
        // A thumbnail's box: a quarter turn swaps its sides.
        img.setAttribute("width", String(h));
        img.setAttribute("height", String(w));
      }
      placeholders(img.parentNode);
    });
    $$(".viewer#photo-" + photoId + " [data-zoom]").forEach(function (link) { readdress(link, "href"); });
    var date = $(".photo-date", viewer);
    if (date) {
      $$(".card#photo-" + photoId + " .photo-date, .viewer#photo-" + photoId + " .photo-date").forEach(function (el) {
        while (el.firstChild) el.removeChild(el.firstChild);
        Array.prototype.forEach.call(date.childNodes, function (node) {
          el.appendChild(document.importNode(node, true));
        });
        localTimes(el);
      });
    }
    var meta = $("dl.meta", viewer);
    if (meta) $$(".viewer#photo-" + photoId + " dl.meta").forEach(function (el) {
      var adopted = document.importNode(meta, true);
      el.replaceWith(adopted);
      localTimes(adopted);
    });
  }

  // The owner's date field on their other pages of the photo holds what it would save: it
  // follows the fetched page (a date being edited is left as it is). The turn buttons need
  // nothing: they turn from wherever the photo stands when the turn is made.
  function refreshDateField(photoId, page) {
    var field = document.getElementById("taken-input-" + photoId);
    var freshField = page.getElementById("taken-input-" + photoId);
    var editing = field && field.closest("details");
    if (!field || !freshField || (editing && (editing.open || editing.contains(document.activeElement)))) return;
    field.value = freshField.getAttribute("value") || "";
    var form = field.closest("form");
    $$("input[name=offset]", form).forEach(function (el) { el.remove(); });
    var offset = $("input[name=offset]", freshField.closest("form"));
    if (offset) form.insertBefore(document.importNode(offset, true), field);
  }

  function removePhoto(photoId) {
    delete pendingPhotos[photoId];
    showNewPhotosBar();
    $$(".card#photo-" + photoId + ", #grid-" + photoId + ", #tile-" + photoId).forEach(function (el) { el.remove(); });
  }

  // A card's caption is its owner's name, then the words (templates/_photo_card.html).
  function setCardCaption(card, words) {
    var line = $(".card-body > .caption", card);
    if (!words) { if (line) line.remove(); return; }
    if (!line) {
      var owner = $(".card-head .owner", card);
      line = document.createElement("p");
      line.className = "caption";
      if (owner) {
        var name = owner.cloneNode(true);
        name.removeAttribute("id");
        line.appendChild(name);
      }
      line.appendChild(document.createTextNode(" "));
      var likes = $(".card-body > .like-form", card) || $(".card-body > *", card);
      if (likes && likes.nextSibling) likes.parentNode.insertBefore(line, likes.nextSibling);
      else $(".card-body", card).appendChild(line);
    }
    var text = line.lastChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) { text = document.createTextNode(""); line.appendChild(text); }
    text.textContent = " " + words;
  }

  var handlers = {
    "photo": function (data) {
      if (!$("#feed-items") || document.getElementById("photo-" + data.id)) return;
      pendingPhotos[data.id] = true;
      showNewPhotosBar();
    },
    "photo-deleted": function (data) { removePhoto(data.id); },
    "like": function (data) {
      setCount(data.id, ".like-count", "data-like-count", data.like_count, "like", "likes");
      setBatchTotal(data.id, "likes", data.like_count, "like", "likes");
    },
    "comment": function (data) {
      setCount(data.photo_id, ".comment-count", "data-comment-count", data.comment_count, "comment", "comments");
      setBatchTotal(data.photo_id, "comments", data.comment_count, "comment", "comments");
      refreshThread(data.photo_id);
    },
    "comment-deleted": function (data) {
      setCount(data.photo_id, ".comment-count", "data-comment-count", data.comment_count, "comment", "comments");
      setBatchTotal(data.photo_id, "comments", data.comment_count, "comment", "comments");
      refreshThread(data.photo_id);
    },
    "photo-changed": function (data) { refreshPhoto(data.photo_id); }
  };

  var wired = typeof WeakSet === "function" ? new WeakSet() : null;
  document.addEventListener("htmx:sseOpen", function (event) {
    var source = event.detail && event.detail.source;
    document.documentElement.setAttribute("data-live", "open");
    // The browser reopens a dropped stream on the same EventSource: listen to each only once.
    if (!source || (wired && wired.has(source))) return;
    if (wired) wired.add(source);
    Object.keys(handlers).forEach(function (kind) {
      source.addEventListener(kind, function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (e) { return; }
        handlers[kind](data);
        document.dispatchEvent(new CustomEvent("photoarchive:live", { detail: { kind: kind, data: data } }));
      });
    });
  });
  document.addEventListener("htmx:sseError", function () {
    document.documentElement.setAttribute("data-live", "reconnecting");
  });

  // --- Start -------------------------------------------------------------------------------
  // The photo viewer (the modal, previous and next, full screen) has a file of its own; it
  // is asked for here, by the one script every page loads, so that any page showing photos
  // (or getting them later through htmx) has it. The window's load event waits for it.
  function loadViewer() {
    var script = document.createElement("script");
    // Its address carries the digest of its content (see web/static_urls.py), as the page
    // wrote it on this script's own tag.
    var self = document.querySelector("script[data-viewer-src]");
    script.src = self ? self.getAttribute("data-viewer-src") : "/static/js/viewer.js";
    document.head.appendChild(script);
  }

  function start() {
    loadViewer();
    placeholders(document);
    localTimes(document);
    copyButtons(document);
    var button = $("#new-photos-button");
    if (button) button.addEventListener("click", loadNewPhotos);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // A swap that takes away the element that had the focus (Save caption, Post, a comment's
  // Delete: htmx gives it back only to an element of the same id) leaves it on the page's
  // body, and a keyboard or screen reader its place: it goes to what the new content marks
  // data-focus-after-swap. Only for a swap of the part the focus was in, so a live refresh
  // elsewhere never moves it.
  var focusLostIn = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    // (The photo window places the focus itself as it steps: viewer.js.)
    var own = target && target.id !== "modal" && target.contains(document.activeElement);
    focusLostIn = own ? target : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var active = document.activeElement;
    if (!focusLostIn || (active && active !== document.body)) return;
    var next = event.target instanceof Element && $("[data-focus-after-swap]", event.target);
    if (next) {
      focusLostIn = null;
      next.focus();
    }
  });

  // htmx:load fires for every piece of content htmx adds (next feed pages, fragments).
  document.addEventListener("htmx:load", function (event) {
    placeholders(event.target);
    localTimes(event.target);
    copyButtons(event.target);
  });
})();
