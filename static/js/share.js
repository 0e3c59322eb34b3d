// A share link's page: its photo viewer works without this script (each photo is a section
// shown by :target over the page, with Previous, Close and Next links). Here what a viewer is
// expected to do besides: Esc closes it (back to the photo in the grid, which takes the
// focus), the arrow keys step to the previous or next photo, each following the link a click
// would; while a photo is open it has the focus and the page behind it is inert, so Tab
// stays on the photo's own links.
(function () {
  "use strict";

  var KEYS = { Escape: "close", ArrowLeft: "prev", ArrowRight: "next" };

  function openView() {
    var id = window.location.hash.slice(1); // ids are plain ASCII: nothing to decode
    var view = id && document.getElementById(id);
    return view && view.classList.contains("share-view") ? view : null;
  }

  function typing(target) {
    return target instanceof Element && !!target.closest("input, textarea, select, [contenteditable]");
  }

  // The page behind an open photo: everything in <main> but the photo views themselves.
  function behind() {
    var main = document.getElementById("main");
    return main ? Array.prototype.filter.call(main.children, function (el) {
      return !el.classList.contains("share-view");
    }) : [];
  }

  function settle() {
    var view = openView();
    behind().forEach(function (el) { el.inert = !!view; });
    if (view) {
      if (!view.contains(document.activeElement)) view.focus({ preventScroll: true });
    } else {
      var match = /^#grid-\d+$/.test(window.location.hash) && document.querySelector(window.location.hash + " a");
      if (match) match.focus({ preventScroll: true });
    }
  }

  window.addEventListener("hashchange", settle);
  settle();

  document.addEventListener("keydown", function (event) {
    var step = KEYS[event.key];
    if (!step || event.defaultPrevented || typing(event.target)) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var view = openView();
    var link = view && view.querySelector("[data-step='" + step + "']");
    if (!link) return;
    event.preventDefault();
    link.click();
  });
})();
