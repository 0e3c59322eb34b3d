// The photo viewer: the modal over the feed and profile pages, and moving through photos there
// and on a photo's own page. Every control is a plain link or button first (the page works
// without this file); here they gain keys, swipes, full screen and fetching ahead.
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // --- The modal ---------------------------------------------------------------------------
  // Feed and grid links load the photo into #modal and htmx pushes /photos/{id}?from=..., so
  // the address can be shared or reloaded (the server then renders the full photo page).
  // Previous and next replace that entry, so Esc, the close button, the backdrop and the
  // browser's back button all return to the list, scrolled as it was. Focus stays inside
  // while it is open and goes back to the photo it was opened from afterwards.
  var opener = null;
  var pushed = false;       // the open modal added a history entry
  var closedByBack = false; // the popstate that just closed it must not reload the page
  var moving = null;        // "prev" or "next" while a step inside the modal is on its way

  function modal() { return $("#modal [data-modal]"); }

  // The page behind an open photo; a refused request's message (#messages) stays reachable
  // over it: read out, and its Dismiss button clickable.
  function setBackgroundInert(on) {
    $$("body > *").forEach(function (el) {
      if (el.id === "modal" || el.id === "messages" || el.tagName === "SCRIPT") return;
      if (on) el.setAttribute("inert", ""); else el.removeAttribute("inert");
    });
  }

  function closeModal() {
    if (!modal()) return;
    leaveZoom();
    $("#modal").innerHTML = "";
    pushed = false;
    moving = null;
    document.body.classList.remove("modal-open");
    setBackgroundInert(false);
    // The list stays where it was scrolled to, even if the opener is now out of view.
    if (opener && document.body.contains(opener)) opener.focus({ preventScroll: true });
    opener = null;
  }

  function requestClose() {
    // Going back closes it (popstate) and puts the list's address back.
    if (pushed) history.back();
    else closeModal();
  }

  function swappedIn() {
    var m = modal();
    if (!m) return;
    if (moving) {
      // A step to a neighbour: the same control keeps the focus, or the other one at an end.
      var same = $("[data-nav='" + moving + "']", m) || $("[data-nav]", m) || $(".modal-close", m);
      moving = null;
      if (same) same.focus();
    } else {
      pushed = !!(opener && opener.getAttribute("hx-push-url") === "true");
      document.body.classList.add("modal-open");
      setBackgroundInert(true);
      var close = $(".modal-close", m);
      if (close) close.focus();
    }
    fetchAhead(m);
  }

  function focusables(el) {
    return $$("a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select, summary, [tabindex]:not([tabindex='-1'])", el)
      .filter(function (n) { return n.offsetParent !== null || n === document.activeElement; });
  }

  function trapTab(event, m) {
    var items = focusables(m);
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !m.contains(document.activeElement))) {
      event.preventDefault(); last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !m.contains(document.activeElement))) {
      event.preventDefault(); first.focus();
    }
  }

  // --- Previous and next -------------------------------------------------------------------
  // The viewer on screen: the modal's when one is open, else the photo page's.
  function currentViewer() { return $("#modal .viewer") || $("main .viewer"); }

  function step(direction, event) {
    var viewer = currentViewer();
    var link = viewer && $("[data-nav='" + direction + "']", viewer);
    if (!link) return false;
    if (modal()) go(link, event);
    else link.click(); // on the photo page the browser follows the link
    return true;
  }

  // In the modal a step is asked for here rather than by htmx's own handling of the link: a
  // key pressed the moment a photo arrives would find its links not yet wired and leave the
  // list for the photo page. htmx reads hx-target and hx-replace-url from the link.
  function go(link, event) {
    if (moving || !window.htmx) return;
    moving = link.getAttribute("data-nav");
    // The key, swipe or click that asked for it goes along: a step with no answer is then
    // said as any click's is (app.js).
    window.htmx.ajax("GET", link.getAttribute("href"), { source: link, target: "#modal", event: event });
  }

  function typing(target) {
    return target instanceof Element && !!target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var m = modal();
    if (event.key === "Escape") {
      if (zoomed()) { event.preventDefault(); leaveZoom(); return; }
      if (m) { event.preventDefault(); requestClose(); }
      return;
    }
    if (event.key === "Tab" && m) { trapTab(event, m); return; }
    if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && !typing(event.target) && !zoomed()) {
      if (step(event.key === "ArrowLeft" ? "prev" : "next", event)) event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-close-modal]")) { event.preventDefault(); requestClose(); return; }
    var zoom = target.closest("[data-zoom]");
    if (zoom) { event.preventDefault(); toggleZoom(zoom); return; }
    var nav = target.closest("#modal [data-nav]");
    if (nav && window.htmx) { event.preventDefault(); go(nav, event); return; }
    var link = target.closest("[data-opens-modal]");
    if (link) opener = link;
  });

  // --- Swipes ------------------------------------------------------------------------------
  // A mostly sideways swipe across the picture steps: to the left for the next photo, as a
  // page is turned. Vertical movement is left to scrolling.
  var SWIPE_MIN = 50; // CSS pixels
  var touchStart = null;

  document.addEventListener("touchstart", function (event) {
    var area = event.target instanceof Element && event.target.closest(".viewer-image");
    touchStart = area && event.touches.length === 1 && !zoomed()
      ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
  }, { passive: true });

  document.addEventListener("touchend", function (event) {
    if (!touchStart || !event.changedTouches.length) return;
    var dx = event.changedTouches[0].clientX - touchStart.x;
    var dy = event.changedTouches[0].clientY - touchStart.y;
    touchStart = null;
    if (Math.abs(dx) >= SWIPE_MIN && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? "next" : "prev", event);
  }, { passive: true });

  document.addEventListener("touchcancel", function () { touchStart = null; }, { passive: true });

  // --- Full screen -------------------------------------------------------------------------
  // The Fullscreen API on the picture's box; where it is missing or refused, the box covers
  // the window instead. Esc leaves either (the browser's own Esc for the first).
  var ZOOMED = "viewer-zoomed";

  function zoomed() { return !!(document.fullscreenElement || $("." + ZOOMED)); }

  function label(box, on) {
    var control = $("[data-zoom]", box);
    if (control) control.setAttribute("aria-label", on ? "Leave full screen" : "View full screen");
  }

  function toggleZoom(control) {
    var box = control.closest(".viewer-image");
    if (!box) return;
    if (zoomed()) { leaveZoom(); return; }
    var cover = function () { box.classList.add(ZOOMED); label(box, true); control.focus(); };
    if (box.requestFullscreen) {
      box.requestFullscreen().then(function () { label(box, true); }, cover);
    } else {
      cover();
    }
  }

  function leaveZoom() {
    $$("." + ZOOMED).forEach(function (box) { box.classList.remove(ZOOMED); label(box, false); });
    if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(function () {});
  }

  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement) $$(".viewer-image").forEach(function (box) { label(box, false); });
  });

  // --- Fetching ahead ----------------------------------------------------------------------
  // The neighbours' pictures are loaded while this one is looked at (the photo page also
  // lists them as <link rel=prefetch> for browsers without scripts).
  var fetched = {};

  function fetchAhead(root) {
    $$("[data-nav][data-preview]", root).forEach(function (link) {
      var url = link.getAttribute("data-preview");
      if (!url || fetched[url]) return;
      fetched[url] = true;
      var img = new Image();
      img.decoding = "async";
      img.src = url;
    });
  }

  // --- History -----------------------------------------------------------------------------
  window.addEventListener("popstate", function () {
    if (!modal()) return;
    closedByBack = true;
    closeModal();
    // htmx handles the same popstate synchronously; never let the flag outlive it.
    setTimeout(function () { closedByBack = false; }, 0);
  });
  // htmx would now fetch the list page again to "restore" it (its history cache is off);
  // the page under the modal never went away, so there is nothing to restore.
  document.addEventListener("htmx:historyCacheMiss", function (event) {
    if (closedByBack || modal()) {
      event.preventDefault();
      closedByBack = false;
      closeModal();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "modal") swappedIn();
  });
  // A step that fails (the photo was deleted, the server is away) must not block the next.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) moving = null;
  });

  var page = $("main .viewer");
  if (page) fetchAhead(page);
})();
